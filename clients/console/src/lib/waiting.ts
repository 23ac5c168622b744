/**
 * How urgent an unanswered chat looks (CHAT-9): by how long the visitor has waited.
 *
 * - under `AMBER_AFTER_MS` (1 min): "fresh" (marked as unanswered, accent colour);
 * - from 1 min: "amber";
 * - from `RED_AFTER_MS` (3 min): "red";
 * - a visitor who left while waiting (`visitor_left_at`): "left", grey whatever the time — nobody is there to answer.
 *
 * The waiting list puts the longest wait first, and chats whose visitor left after those still waiting.
 */

import type { Conversation } from "../types";

export const AMBER_AFTER_MS = 60_000;
export const RED_AFTER_MS = 180_000;

export type WaitLevel = "none" | "fresh" | "amber" | "red" | "left";

function ms(iso: string | null | undefined): number {
  if (!iso) return 0;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? 0 : value;
}

/** The level of a waited time in milliseconds. */
export function levelOfWait(waitedMs: number): Exclude<WaitLevel, "none" | "left"> {
  if (waitedMs >= RED_AFTER_MS) return "red";
  if (waitedMs >= AMBER_AFTER_MS) return "amber";
  return "fresh";
}

/** The level of a conversation now: only waiting ones have one. */
export function waitLevel(conversation: Conversation, now: number): WaitLevel {
  if (conversation.state !== "waiting") return "none";
  if (conversation.visitor_left_at) return "left";
  return levelOfWait(Math.max(0, now - ms(conversation.created_at)));
}

/** The CSS class of a level ("" for none). */
export function waitClass(level: WaitLevel): string {
  return level === "none" ? "" : `wait-${level}`;
}

/** Longest wait first; chats whose visitor left go last (still longest first among them). */
export function byWaiting(conversations: readonly Conversation[]): Conversation[] {
  return [...conversations].sort(
    (a, b) =>
      Number(Boolean(a.visitor_left_at)) - Number(Boolean(b.visitor_left_at)) ||
      ms(a.created_at) - ms(b.created_at) ||
      a.id.localeCompare(b.id),
  );
}
