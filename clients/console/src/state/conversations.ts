/** Conversations by id, with the waiting queue (longest wait first) and the operator's active list. */

import type { Conversation, ConversationState, Message } from "../types";

export type ConversationMap = Readonly<Record<string, Conversation>>;

const STATE_RANK: Record<ConversationState, number> = { waiting: 0, active: 1, closed: 2 };

export function time(iso: string | null | undefined): number {
  if (!iso) return 0;
  const value = Date.parse(iso);
  return Number.isNaN(value) ? 0 : value;
}

/**
 * Which of two copies of a conversation is the newer one. A conversation only moves forward
 * (waiting -> active -> closed) and its last_seq only grows, so a stale copy from a list fetched
 * before an event cannot undo the event.
 */
export function newerConversation(existing: Conversation | undefined, incoming: Conversation): Conversation {
  if (!existing) return incoming;
  const rank = STATE_RANK[incoming.state] - STATE_RANK[existing.state];
  if (rank < 0) return existing;
  if (rank === 0 && incoming.last_seq < existing.last_seq) return existing;
  return incoming;
}

export function upsertConversations(map: ConversationMap, incoming: readonly Conversation[]): ConversationMap {
  let next: Record<string, Conversation> | null = null;
  for (const conversation of incoming) {
    const current = (next ?? map)[conversation.id];
    const chosen = newerConversation(current, conversation);
    if (chosen === current) continue;
    next ??= { ...map };
    next[conversation.id] = chosen;
  }
  return next ?? map;
}

/**
 * A copy the server sent as the result of a move (a transfer, a chat sent back to its queue: active -> waiting):
 * it replaces the one held, unless that one is closed (nothing reopens); messages counted meanwhile stay counted.
 */
export function movedConversation(map: ConversationMap, incoming: Conversation): ConversationMap {
  const existing = map[incoming.id];
  if (existing?.state === "closed" && incoming.state !== "closed") return map;
  const ahead = existing && existing.last_seq > incoming.last_seq;
  const next = ahead
    ? { ...incoming, last_seq: existing.last_seq, last_message_at: existing.last_message_at }
    : incoming;
  return { ...map, [incoming.id]: next };
}

/**
 * A fresh list of every conversation in `state`. Ones we hold in that state but the server no longer
 * lists have moved on (accepted by someone else, closed); they are dropped unless `keep` says otherwise.
 */
export function replaceConversationsInState(
  map: ConversationMap,
  state: ConversationState,
  list: readonly Conversation[],
  keep: (id: string) => boolean = () => false,
): ConversationMap {
  const listed = new Set(list.map((c) => c.id));
  const next: Record<string, Conversation> = {};
  for (const [id, conversation] of Object.entries(map)) {
    if (conversation.state === state && !listed.has(id) && !keep(id)) continue;
    next[id] = conversation;
  }
  return upsertConversations(next, list);
}

/** Keep last_seq / last_message_at in step with messages that arrive over the socket. */
export function noteMessages(map: ConversationMap, messages: readonly Message[]): ConversationMap {
  let next: Record<string, Conversation> | null = null;
  for (const message of messages) {
    const conversation = (next ?? map)[message.conversation_id];
    if (!conversation || conversation.last_seq >= message.seq) continue;
    next ??= { ...map };
    next[conversation.id] = { ...conversation, last_seq: message.seq, last_message_at: message.created_at };
  }
  return next ?? map;
}

/** Waiting conversations, the one waiting longest first (CHAT-9). */
export function waitingList(map: ConversationMap): Conversation[] {
  return Object.values(map)
    .filter((c) => c.state === "waiting")
    .sort((a, b) => time(a.created_at) - time(b.created_at) || a.id.localeCompare(b.id));
}

/** Active conversations assigned to `userId`, most recent activity first. */
export function activeList(map: ConversationMap, userId: string): Conversation[] {
  const activity = (c: Conversation) => time(c.last_message_at) || time(c.accepted_at) || time(c.created_at);
  return Object.values(map)
    .filter((c) => c.state === "active" && c.assigned_user_id === userId)
    .sort((a, b) => activity(b) - activity(a) || a.id.localeCompare(b.id));
}

/** How long a conversation has waited, in milliseconds. */
export function waitingMs(conversation: Conversation, now: number): number {
  return Math.max(0, now - time(conversation.created_at));
}
