/**
 * The chat header's picture (EMB-3): the site's logo, or (`show_operator_photo`) the face of the operator who
 * answers: their photo (asked once per conversation and operator: `OperatorLookup`, the gateway's
 * `/api/v1/widget/conversations/{id}/operator`), their initials meanwhile, without one, or when it fails to load.
 * Drawn only from a safe address: an `https:` URL or a path on the gateway's own origin (`/...`, resolved against
 * it); anything else (`javascript:`, `data:`, `http:` elsewhere, `//host`) draws nothing. The gateway validates
 * `logo_url` the same way when it is saved. The image is an `<img>` (no markup of the site's is parsed), without a
 * referrer; one that fails to load is removed. The host page's CSP must allow its host in `img-src`
 * (docs/security.md).
 */
import type { Conversation, InvitationOperator, WidgetLook } from "../shared/types";
import { initials } from "./bubble";

/** The logo's absolute address, or null when it is not one the widget draws. */
export function safeLogoUrl(raw: string | null | undefined, gateway: string): string | null {
  if (!raw || /[\s\\"'<>()]/.test(raw)) return null;
  try {
    const base = new URL(gateway);
    if (raw.startsWith("/") && !raw.startsWith("//")) return new URL(raw, base).href;
    const url = new URL(raw);
    return url.protocol === "https:" || url.origin === base.origin ? url.href : null;
  } catch {
    return null;
  }
}

/** Who answers a conversation now (null: nobody), with their photo's address if they have one. */
export type OperatorLookup = (conversationId: string) => Promise<InvitationOperator | null>;

export interface HeadPicture {
  element: HTMLElement;
  update(conversation: Conversation | null): void;
}

/** The header's picture box: the logo, or the answering operator's face when the site shows operators' photos. */
export function headPicture(look: WidgetLook & { show_operator_photo?: boolean }, gateway: string, lookUp?: OperatorLookup): HeadPicture {
  const element = document.createElement("span");
  element.className = "fw-head-pic";
  element.setAttribute("aria-hidden", "true");
  const logo = safeLogoUrl(look.logo_url, gateway);
  const faces = new Map<string, string | null>(); // "<conversation>/<operator>": their photo's address (null: none)
  let latest: Conversation | null = null;
  let shown = "";
  const draw = (key: string, build: () => Node | null) => {
    if (key === shown) return;
    shown = key;
    const child = build();
    element.replaceChildren(...(child ? [child] : []));
    element.hidden = !child;
    element.dataset.fw = key.split(":")[0] || "head-picture";
  };
  const image = (src: string, failed: () => void) => {
    const img = document.createElement("img");
    img.alt = "";
    img.referrerPolicy = "no-referrer";
    img.src = src;
    img.addEventListener("error", failed, { once: true });
    return img;
  };
  const drawLogo = () => draw(logo ? "head-logo" : "", () => (logo ? image(logo, () => draw("", () => null)) : null));
  const drawFace = (name: string, key: string) => {
    const photo = faces.get(key);
    draw(`operator-photo:${key}:${photo || name}`, () =>
      photo
        ? image(photo, () => {
            faces.set(key, null);
            drawFace(name, key);
          })
        : document.createTextNode(initials(name)),
    );
  };
  const picture: HeadPicture = {
    element,
    update(conversation) {
      latest = conversation;
      const name = conversation?.state === "active" ? conversation.assigned_user_name : null;
      if (!conversation || !look.show_operator_photo || !name) return drawLogo();
      const key = `${conversation.id}/${conversation.assigned_user_id || ""}`;
      if (lookUp && conversation.assigned_user_id && !faces.has(key)) {
        faces.set(key, null);
        lookUp(conversation.id).then(
          (operator) => {
            faces.set(key, safeLogoUrl(operator?.photo_url, gateway));
            picture.update(latest);
          },
          () => faces.delete(key), // asked again at the next change
        );
      }
      drawFace(name, key);
    },
  };
  return picture;
}

export const LOOK_CSS =
  ".fw-head-pic{flex:none;width:34px;height:34px;border-radius:50%;overflow:hidden;display:inline-flex;align-items:center;" +
  "justify-content:center;background:rgba(255,255,255,.22);font-weight:600;font-size:13px}" +
  ".fw-head-pic[data-fw=head-logo]{border-radius:6px;background:none}.fw-head-pic img{width:100%;height:100%;object-fit:contain}" +
  ".fw-head-pic[data-fw=operator-photo] img{object-fit:cover}";
