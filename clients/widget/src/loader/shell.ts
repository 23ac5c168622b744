/**
 * The isolated host: `<floorwalker-widget id="floorwalker-widget">` (no host page rule for `div` or `button`
 * matches it) with an open shadow root whose `:host` rules are `!important` (they win over the host page's
 * `!important` rules, even `* { display: none !important }`), a launcher button and an empty box the chat UI
 * mounts into (the invitation bubble is drawn by the chat bundle, above the launcher). Styles are a
 * constructable stylesheet: a strict CSP without `'unsafe-inline'` allows them.
 */
import type { WidgetLook } from "../shared/types";
import { adoptStyles } from "../shared/styles";

/** The host element's tag and id (one name). */
export const HOST_ID = "floorwalker-widget";
export const DEFAULT_COLOR = "#2563eb";
export const DEFAULT_TITLE = "Chat with us";

/**
 * What the host page may not change on the host element: `all: initial !important` resets every property (position,
 * visibility, opacity, transform, filter, clip-path, size...) and an `!important` rule of the shadow root's `:host`
 * wins over any `!important` rule of the page for the host element.
 */
export const HOST_CSS = ":host{all:initial!important;display:block!important}";

const CSS =
  HOST_CSS +
  "[hidden]{display:none!important}" +
  ".fw{position:fixed;bottom:20px;inset-inline-end:20px;z-index:2147483000;display:flex;flex-direction:column;" +
  "align-items:flex-end;gap:12px;font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827}" +
  ".fw.left{inset-inline-end:auto;inset-inline-start:20px;align-items:flex-start}" +
  "[data-fw=launcher]{all:unset;box-sizing:border-box;cursor:pointer;display:inline-flex;align-items:center;gap:8px;" +
  "background:var(--fw-color);color:var(--fw-on-color);padding:12px 18px;border-radius:24px;font-weight:600;" +
  "box-shadow:0 4px 14px #0003}" +
  ".bar{bottom:0}.bar [data-fw=launcher]{border-radius:9px 9px 0 0;min-width:260px}" +
  "[data-fw=launcher]:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}";

export interface Shell {
  host: HTMLElement;
  root: ShadowRoot;
  launcher: HTMLButtonElement;
  /** Where the chat UI mounts (inside the shadow root). */
  chatBox: HTMLElement;
  /** The widget's fixed corner (the chat box, the invitation bubble once the chat bundle draws it, the launcher). */
  frame: HTMLElement;
}

export function safeColor(color: string | undefined, fallback = DEFAULT_COLOR): string {
  return color && /^#[\da-f]{6}$/i.test(color) ? color : fallback;
}

/** `language` and `title` (EMB-11, from the session: `site.language`, `site.launcher_title`): the launcher's default
 * title and the direction of the whole widget (Arabic: right to left, its corner mirrored: the CSS uses logical sides). */
export function createShell(look: WidgetLook, language = "en", title = DEFAULT_TITLE): Shell {
  const host = document.createElement(HOST_ID);
  host.id = HOST_ID;
  const root = host.attachShadow({ mode: "open" });
  const frame = document.createElement("div");
  frame.className = (look.position === "left" ? "fw left" : "fw") + (look.launcher === "bar" ? " bar" : "");
  frame.style.setProperty("--fw-color", safeColor(look.color));
  frame.style.setProperty("--fw-on-color", safeColor(look.text_color, "#fff"));
  frame.lang = language;
  frame.dir = language === "ar" ? "rtl" : "ltr";
  const chatBox = document.createElement("div");
  chatBox.setAttribute("data-fw", "chat");
  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.setAttribute("data-fw", "launcher");
  launcher.setAttribute("aria-expanded", "false");
  const label = document.createElement("span");
  label.textContent = look.title || title;
  launcher.append(label); // the chat bundle adds the unread badge (chat/launcher.ts)
  frame.append(chatBox, launcher);
  root.append(frame);
  adoptStyles(root, CSS, root);
  document.body.appendChild(host);
  return { host, root, launcher, chatBox, frame };
}
