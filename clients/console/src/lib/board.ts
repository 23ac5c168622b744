/** The supervisor board's figures without React: queues counted from the chats the console holds (when the
 * server has no summary), operators by state and load, and the live chats longest waiting first. */

import type { Presence } from "../api/presence";
import type { Queue } from "../api/queues";
import type { Conversation, QueueSummary } from "../types";
import { byWaiting } from "./waiting";

const ms = (iso: string | null | undefined) => {
  const value = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(value) ? 0 : value;
};

/** A summary of `queues` from the conversations and presences the console knows (an approximation). */
export function localSummary(
  queues: readonly Queue[],
  conversations: readonly Conversation[],
  presence: Readonly<Record<string, Presence>>,
  now: number,
): QueueSummary[] {
  return queues.map((queue) => {
    const waiting = conversations.filter((c) => c.state === "waiting" && c.queue_id === queue.id);
    const oldest = waiting.reduce((min, c) => Math.min(min, ms(c.created_at)), now);
    const online = queue.members.map((m) => presence[m.user_id]).filter((p) => p?.status === "online");
    return {
      queue_id: queue.id,
      name: queue.name,
      open_now: queue.open_now,
      waiting: waiting.length,
      longest_wait_seconds: waiting.length > 0 ? Math.floor(Math.max(0, now - oldest) / 1000) : 0,
      online_operators: online.length,
      free_slots: online.reduce((sum, p) => sum + Math.max(0, p.max_chats - p.active_chats), 0),
    };
  });
}

const STATUS_ORDER: Record<Presence["status"], number> = { online: 0, phone: 1, away: 2, break: 3, offline: 4 };

/** Operators online first, then by name. */
export function operatorsByState(presence: Readonly<Record<string, Presence>>): Presence[] {
  return Object.values(presence).sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      (a.name ?? a.user_id).localeCompare(b.name ?? b.user_id),
  );
}

/** "2 / 3" and the share of the capacity in use (0..1, more than 1 when over it). */
export function loadOf(p: Presence): { text: string; share: number } {
  const max = Math.max(1, p.max_chats);
  return { text: `${p.active_chats} / ${p.max_chats}`, share: p.active_chats / max };
}

/** Every live chat: waiting ones longest first, then active ones by who has them. */
export function liveChats(conversations: readonly Conversation[]): Conversation[] {
  const waiting = byWaiting(conversations.filter((c) => c.state === "waiting"));
  const active = conversations
    .filter((c) => c.state === "active")
    .sort(
      (a, b) =>
        (a.assigned_user_name ?? "").localeCompare(b.assigned_user_name ?? "") ||
        ms(a.accepted_at) - ms(b.accepted_at) ||
        a.id.localeCompare(b.id),
    );
  return [...waiting, ...active];
}

/** Whether `userId` is in the conversation with one of `roles` (the assigned operator counts as "assigned"). */
export function hasRole(
  conversation: Conversation,
  userId: string,
  roles: ReadonlyArray<"assigned" | "invited" | "watching">,
): boolean {
  if (roles.includes("assigned") && conversation.assigned_user_id === userId) return true;
  return (conversation.participants ?? []).some((p) => p.user_id === userId && roles.includes(p.role));
}
