/** Edits, retractions and quotes of messages (CHAT-5), as plain data: no React here. */

import type { Message } from "../types";

export const DELETED_TEXT = "message deleted";

/** A short built-in list for the composer's picker (no emoji library). */
export const EMOJI = ["😀", "😂", "😊", "😍", "🤔", "😢", "😮", "😡", "👍", "👎", "👏", "🙏", "👋", "🎉", "❤️", "✅"];

/**
 * `existing` with `incoming` (an edited or retracted copy, `message.updated`) in place of the message it
 * changes, when its revision is newer; a message not held yet is added in seq order. Returns `existing`
 * itself when nothing changed (an older or duplicate frame), so callers can skip a re-render.
 */
export function applyMessageUpdate(existing: readonly Message[], incoming: Message): Message[] {
  const index = existing.findIndex((m) => m.id === incoming.id);
  if (index < 0) {
    if (existing.some((m) => m.seq === incoming.seq)) return existing as Message[];
    return [...existing, incoming].sort((a, b) => a.seq - b.seq);
  }
  if ((incoming.revision ?? 0) <= (existing[index].revision ?? 0)) return existing as Message[];
  const next = existing.slice();
  next[index] = incoming;
  return next;
}

export const isRetracted = (m: Message): boolean => !!m.retracted_at;

/** What a message shows as its text. */
export function shownText(m: Message): string {
  return isRetracted(m) ? DELETED_TEXT : m.text;
}

/** The line a quote shows: who wrote it and the start of its text ("…" when the quoted one is not loaded). */
export function quoteLine(quoted: Message | undefined): string {
  if (!quoted) return "…";
  const who = quoted.sender_name ?? (quoted.sender_type === "visitor" ? "Visitor" : "Operator");
  const text = shownText(quoted);
  return `${who}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
}

/** Whether this operator may edit or retract the message: an operator's, theirs, or anyone's for a manager. */
export function mayChange(m: Message, userId: string | null | undefined, manager: boolean): boolean {
  return m.sender_type === "operator" && !isRetracted(m) && (manager || (!!userId && m.sender_id === userId));
}

/** `text` with `emoji` put at the caret (`start`..`end` replaced), and where the caret goes next. */
export function insertEmoji(text: string, start: number, end: number, emoji: string): { text: string; caret: number } {
  const at = Math.max(0, Math.min(start, text.length));
  const to = Math.max(at, Math.min(end, text.length));
  return { text: text.slice(0, at) + emoji + text.slice(to), caret: at + emoji.length };
}
