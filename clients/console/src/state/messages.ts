/** Messages of one conversation: merged by seq, deduplicated by id and seq, whatever order they arrive in. */

import type { Message } from "../types";
import type { PendingMessage } from "../realtime/outbox";

/**
 * Merge `incoming` into `existing` (already sorted by seq). Returns `existing` itself when nothing is
 * new, so callers can skip a re-render.
 */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const bySeq = new Map<number, Message>();
  const ids = new Set<string>();
  for (const message of existing) {
    bySeq.set(message.seq, message);
    ids.add(message.id);
  }
  let changed = false;
  for (const message of incoming) {
    if (ids.has(message.id) || bySeq.has(message.seq)) continue;
    bySeq.set(message.seq, message);
    ids.add(message.id);
    changed = true;
  }
  if (!changed) return existing as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function lastSeq(messages: readonly Message[] | undefined): number {
  return messages && messages.length > 0 ? messages[messages.length - 1].seq : 0;
}

/**
 * The highest seq up to which nothing is missing: from `floor` (what the server said is complete: a
 * history page, a resume.done) upwards as long as the next seq is held. What to resume after.
 */
export function contiguousSeq(messages: readonly Message[] | undefined, floor = 0): number {
  let seq = floor;
  for (const message of messages ?? []) {
    if (message.seq <= seq) continue;
    if (message.seq !== seq + 1) break;
    seq = message.seq;
  }
  return seq;
}

/** Which of `incoming` are not in `existing` yet (by id or seq). */
export function newMessages(existing: readonly Message[] | undefined, incoming: readonly Message[]): Message[] {
  const ids = new Set((existing ?? []).map((m) => m.id));
  const seqs = new Set((existing ?? []).map((m) => m.seq));
  const fresh: Message[] = [];
  for (const message of incoming) {
    if (ids.has(message.id) || seqs.has(message.seq)) continue;
    ids.add(message.id);
    seqs.add(message.seq);
    fresh.push(message);
  }
  return fresh;
}

/** Pending messages of one conversation that the server has not stored yet. */
export function visiblePending(
  pending: readonly PendingMessage[],
  conversationId: string,
  stored: readonly Message[] | undefined,
): PendingMessage[] {
  const storedIds = new Set((stored ?? []).map((m) => m.client_msg_id).filter(Boolean));
  return pending.filter((p) => p.conversation_id === conversationId && !storedIds.has(p.client_msg_id));
}
