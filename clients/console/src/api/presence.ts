/** The operator's own presence (docs/api.md, Presence). */

import type { ApiClient } from "./client";

export const PRESENCE_STATUSES = ["online", "away", "break", "phone", "offline"] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export interface Presence {
  user_id: string;
  name: string | null;
  status: PresenceStatus;
  status_changed_at: string;
  max_chats: number;
  max_chats_override: number | null;
  active_chats: number;
  /** The languages they speak (supervisors' list; routing prefers them for chats in those). */
  languages?: string[];
  /** Their queues (the colleagues' list). */
  queue_ids?: string[];
}

export function myPresence(api: ApiClient): Promise<Presence> {
  return api.get<Presence>("/api/v1/me/presence");
}

export function setMyPresence(api: ApiClient, status: PresenceStatus): Promise<Presence> {
  return api.request<Presence>("PUT", "/api/v1/me/presence", { body: { status } });
}
