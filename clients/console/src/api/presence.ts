/** The operator's own presence (docs/api.md, Presence). */

import type { ApiClient } from "./client";
import { call, type Schema } from "./typed";

export type PresenceStatus = Presence["status"];
export const PRESENCE_STATUSES = ["online", "away", "break", "phone", "offline"] as const satisfies PresenceStatus[];

/** An operator's presence and load; `languages`: the languages they speak (supervisors' list; routing prefers them
 * for chats in those); `queue_ids`: their queues (the colleagues' list, not in this answer). */
export type Presence = Schema<"PresenceOut"> & { queue_ids?: string[] };

export function myPresence(api: ApiClient): Promise<Presence> {
  return call(api, "get", "/api/v1/me/presence");
}

export function setMyPresence(api: ApiClient, status: PresenceStatus): Promise<Presence> {
  return call(api, "put", "/api/v1/me/presence", { body: { status } });
}
