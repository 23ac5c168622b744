/**
 * The invitation bubble (EMB-9), in the widget's shadow root above the launcher: the operator's photo (their
 * initials without one) and name, the invitation's text, "Chat now" and a close button. Real buttons (Tab, Enter,
 * Space), Escape closes; it never takes the focus (the visitor did not ask for it) and is announced through a
 * polite live region. Text only ever goes through `textContent`. Fixed in the widget's own layer: the host page's
 * layout does not move.
 */
import type { InvitationFrame } from "../shared/types";
import { el as element } from "./dom";

export const BUBBLE_CSS =
  "[data-fw=invitation]{box-sizing:border-box;width:min(300px,calc(100vw - 40px));background:#fff;color:#111827;" +
  "border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.22);padding:12px 14px;display:flex;flex-direction:column;gap:8px}" +
  ".fw-invite-head{display:flex;align-items:center;gap:10px}" +
  "[data-fw=invitation-avatar]{flex:none;width:36px;height:36px;border-radius:50%;overflow:hidden;display:inline-flex;" +
  "align-items:center;justify-content:center;background:var(--fw-color);color:#fff;font-weight:600;font-size:14px}" +
  "[data-fw=invitation-avatar] img{width:100%;height:100%;object-fit:cover}" +
  "[data-fw=invitation-name]{flex:1;min-width:0;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}" +
  "[data-fw=invitation-text]{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}" +
  "[data-fw=invitation] button{all:unset;box-sizing:border-box;cursor:pointer;border-radius:8px}" +
  "[data-fw=invitation-close]{padding:2px 8px;font-size:18px;line-height:1;color:#6b7280}" +
  "[data-fw=invitation-accept]{align-self:flex-start;padding:8px 14px;background:var(--fw-color);color:#fff;font-weight:600}" +
  "[data-fw=invitation-accept][aria-disabled=true]{opacity:.6;cursor:progress}" +
  "[data-fw=invitation] button:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}" +
  ".fw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

export const BUBBLE_TEXT = { accept: "Chat now", close: "Close the invitation", someone: "We are here to help" };

export interface BubbleActions {
  accept(): void;
  close(): void;
}

export interface Bubble {
  /** The invitation shown now, if any. */
  readonly current: string | null;
  show(invitation: InvitationFrame, actions: BubbleActions): void;
  /** Waiting for the accept's answer: the accept button is disabled meanwhile. */
  busy(on: boolean): void;
  hide(): void;
}

/** "Olga Petrova" -> "OP", "ana" -> "A", "" -> "?". */
export function initials(name: string | null | undefined): string {
  const words = (name || "").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  const first = [...words[0]][0] || "";
  const last = words.length > 1 ? [...words[words.length - 1]][0] || "" : "";
  return (first + last).toUpperCase();
}

const httpUrl = (url: unknown): url is string => typeof url === "string" && /^https?:\/\/[^\s]+$/i.test(url);

/** Builds the (hidden) bubble before `before` in `parent`, and its live region. */
export function createBubble(parent: HTMLElement, before: Node | null): Bubble {
  const live = element("div", { class: "fw-sr", "data-fw": "invitation-live", "aria-live": "polite" });
  const box = element("section", {
    "data-fw": "invitation",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "fw-invitation-name",
    "aria-describedby": "fw-invitation-text",
  });
  box.hidden = true;
  const avatar = element("span", { "data-fw": "invitation-avatar", "aria-hidden": "true" });
  const name = element("span", { "data-fw": "invitation-name", id: "fw-invitation-name" });
  const close = element("button", { type: "button", "data-fw": "invitation-close", "aria-label": BUBBLE_TEXT.close, title: BUBBLE_TEXT.close }, "×");
  const head = element("div", { class: "fw-invite-head" });
  head.append(avatar, name, close);
  const text = element("p", { "data-fw": "invitation-text", id: "fw-invitation-text" });
  const accept = element("button", { type: "button", "data-fw": "invitation-accept" }, BUBBLE_TEXT.accept);
  box.append(head, text, accept);
  parent.insertBefore(live, before);
  parent.insertBefore(box, before);

  let current: string | null = null;
  let actions: BubbleActions | null = null;
  let waiting = false;

  const showInitials = (who: string) => avatar.replaceChildren(document.createTextNode(initials(who)));

  accept.addEventListener("click", () => {
    if (actions && !waiting) actions.accept();
  });
  close.addEventListener("click", () => actions?.close());
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      actions?.close();
    }
  });

  return {
    get current() {
      return current;
    },
    show(invitation, next) {
      current = invitation.invitation_id;
      actions = next;
      const who = invitation.operator?.name || BUBBLE_TEXT.someone;
      name.textContent = who;
      text.textContent = invitation.text;
      const photo = invitation.operator?.photo_url;
      avatar.hidden = !invitation.operator; // a rule's invitation without an operator: no face to show
      if (httpUrl(photo)) {
        const img = element("img", { alt: "", src: photo, referrerpolicy: "no-referrer" }); // at `/photos/<id>` of the gateway
        img.addEventListener("error", () => showInitials(who), { once: true });
        avatar.replaceChildren(img);
      } else showInitials(who);
      this.busy(false);
      box.hidden = false;
      live.textContent = `${who}: ${invitation.text}`;
    },
    busy(on) {
      waiting = on;
      accept.setAttribute("aria-disabled", String(on));
    },
    hide() {
      current = null;
      actions = null;
      box.hidden = true;
      live.textContent = "";
    },
  };
}
