/**
 * Edits, retractions and quotes of messages (CHAT-5), and the composer's emoji, without the DOM (but `emojiPicker`).
 * An operator's edit or retraction arrives as `message.updated` (live, or from a resume for a message held
 * already); the copy with the highest `revision` wins, whatever order they arrive in. A retracted message has no
 * text left: it shows as "message deleted". A quote names an earlier message of the conversation by its seq.
 */
import type { Message } from "../shared/types";
import { el as node } from "./dom";

export const EDIT_TEXT = { deleted: "message deleted", edited: "edited", reply: "Reply", replyTo: "Replying to", cancel: "Cancel reply", emoji: "Emoji" };

/** A short built-in list: no emoji library in the widget. */
export const EMOJI = ["😀", "😂", "😊", "😍", "🤔", "😢", "😮", "😡", "👍", "👎", "👏", "🙏", "👋", "🎉", "❤️", "✅"];

/** Whether `incoming` should replace `held` (the same message, a later revision). */
export function isNewer(held: Message | undefined, incoming: Message): boolean {
  return !held || (incoming.revision ?? 0) > (held.revision ?? 0);
}

export const isRetracted = (m: Message): boolean => !!m.retracted_at;

/** What a message shows as its text. */
export function shownText(m: Message): string {
  return isRetracted(m) ? EDIT_TEXT.deleted : m.text;
}

/** The line a quote shows above a message (or above the composer): who wrote it and the start of its text. */
export function quoteLine(quoted: Message | undefined, operatorLabel: string): string {
  if (!quoted) return "…";
  const who = quoted.sender_type === "operator" ? quoted.sender_name || operatorLabel : quoted.sender_name || "";
  const text = shownText(quoted);
  const cut = text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return who ? `${who}: ${cut}` : cut;
}

/** `text` with `emoji` put where the caret was (`start`..`end` replaced); and where the caret goes next. */
export function insertEmoji(text: string, start: number, end: number, emoji: string): { text: string; caret: number } {
  const at = Math.max(0, Math.min(start, text.length));
  const to = Math.max(at, Math.min(end, text.length));
  return { text: text.slice(0, at) + emoji + text.slice(to), caret: at + emoji.length };
}

/** The emoji button and its small grid; a click puts the emoji into `input` at the caret. */
export function emojiPicker(input: HTMLTextAreaElement): HTMLElement {
  const box = document.createElement("div");
  box.className = "fw-emoji";
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.setAttribute("data-fw", "emoji-toggle");
  toggle.setAttribute("aria-label", EDIT_TEXT.emoji);
  toggle.setAttribute("aria-expanded", "false");
  toggle.textContent = "😊";
  const grid = document.createElement("div");
  grid.setAttribute("data-fw", "emoji-grid");
  grid.setAttribute("role", "listbox");
  grid.hidden = true;
  for (const emoji of EMOJI) {
    const pick = document.createElement("button");
    pick.type = "button";
    pick.setAttribute("data-fw", "emoji");
    pick.textContent = emoji;
    pick.addEventListener("click", () => {
      const next = insertEmoji(input.value, input.selectionStart ?? input.value.length, input.selectionEnd ?? input.value.length, emoji);
      input.value = next.text;
      input.setSelectionRange(next.caret, next.caret);
      grid.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      input.focus();
    });
    grid.append(pick);
  }
  toggle.addEventListener("click", () => {
    grid.hidden = !grid.hidden;
    toggle.setAttribute("aria-expanded", String(!grid.hidden));
  });
  box.append(grid, toggle);
  return box;
}

export const EDITS_CSS = `
.fw-quote{font-size:12px;color:#4b5563;border-inline-start:3px solid #d1d5db;padding:2px 8px;margin-bottom:2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:100%}
.fw-msg[data-retracted] .fw-text{font-style:italic;color:#6b7280;background:#f9fafb}
.fw-edited{font-size:11px;color:#9ca3af}
.fw-msg [data-fw=reply]{color:#6b7280;text-decoration:none}
.fw-replying{display:flex;gap:6px;align-items:center;margin:0 10px;padding:4px 8px;font-size:12px;background:#f3f4f6;border-radius:8px}
.fw-replying span{flex:1;min-width:0;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.fw-replying button{all:unset;cursor:pointer;padding:0 4px}
.fw-emoji{position:relative;display:flex}
.fw-compose .fw-emoji button{background:none;color:inherit;padding:0 6px;font-weight:400;font-size:18px}
[data-fw=emoji-grid]{position:absolute;bottom:44px;inset-inline-start:0;display:grid;grid-template-columns:repeat(8,32px);gap:2px;padding:6px;background:#fff;border:1px solid #e5e7eb;border-radius:8px;box-shadow:0 4px 12px rgba(0,0,0,.15)}
`;

/** Adds to a stored message's element: the quote above its text, "edited", "message deleted", a reply button. */
export function decorateMessage(item: HTMLElement, m: Message, quoted: Message | undefined, operatorLabel: string, reply?: () => void): void {
  const text = item.querySelector("[data-fw=text]");
  if (m.quote_seq) item.insertBefore(node("div", { class: "fw-quote", "data-fw": "quote", "data-quote-seq": String(m.quote_seq) }, quoteLine(quoted, operatorLabel)), text);
  if (isRetracted(m)) {
    item.setAttribute("data-retracted", "true");
    return;
  }
  if (m.edited_at) item.append(node("span", { class: "fw-edited", "data-fw": "edited" }, EDIT_TEXT.edited));
  if (reply) {
    const button = node("button", { type: "button", "data-fw": "reply", "aria-label": EDIT_TEXT.reply }, EDIT_TEXT.reply);
    button.addEventListener("click", reply);
    item.append(button);
  }
}
