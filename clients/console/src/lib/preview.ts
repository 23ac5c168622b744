/** The conversation lists' preview of the last message (OPS-1) and the last-seen line (OPS-6). */
import type { Message } from "../types";
import { formatClock } from "./time";

/** The last message of each conversation the console holds, by conversation id. */
export function lastMessages(messages: Readonly<Record<string, readonly Message[]>>): Record<string, Message> {
  const last: Record<string, Message> = {};
  for (const [id, list] of Object.entries(messages)) {
    const shown = list.filter((m) => m.sender_type !== "system");
    if (shown.length > 0) last[id] = shown[shown.length - 1];
  }
  return last;
}

/** One line of text, cut at `max` characters with an ellipsis. */
export function previewText(text: string | null | undefined, max = 80): string {
  const line = (text ?? "").replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "last message 12:03 · seen 12:04": when the chat last moved and when the visitor was last seen. */
export function timesLine(lastMessageAt: string | null | undefined, lastSeenAt: string | null | undefined): string {
  const parts: string[] = [];
  if (lastMessageAt) parts.push(`last message ${formatClock(lastMessageAt)}`);
  if (lastSeenAt) parts.push(`seen ${formatClock(lastSeenAt)}`);
  return parts.join(" · ");
}
