/**
 * A group conversation an operator starts with this visitor (CHAT-7, chat's `group.py`): its `conversation.updated`
 * frame reaches the visitor's channel, and an open widget switches to it at once, without a reload (the loader's
 * channel is listened to even while the visitor has no open conversation: `ChatSession`).
 */
import type { Conversation } from "../shared/types";

/** Whether `incoming` (a `conversation.updated` frame's) is a new, open group conversation to switch to. */
export function joinsGroup(current: Conversation | null, incoming: unknown): incoming is Conversation {
  const next = incoming as (Conversation & { kind?: string }) | null | undefined;
  return !!next && typeof next.id === "string" && next.kind === "group" && next.state !== "closed" && next.id !== current?.id;
}
