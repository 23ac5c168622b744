/** Typed calls to departments (queues), their summary and the operators' presence (docs/api.md: Departments,
 * Presence). */

import type { QueueSummary } from "../types";
import { ApiError, type ApiClient } from "./client";
import type { Presence, PresenceStatus } from "./presence";
import { call, type Out } from "./typed";

export type Queue = Out<"QueueOut">;
export type Strategy = Queue["strategy"];
export const STRATEGIES = [
  "least_busy",
  "round_robin",
  "operator_priority",
  "cheapest_tier",
  "sticky",
  "manual",
  "external_webhook",
] as const satisfies readonly Strategy[];

export type OpeningHours = Out<"OpeningHours">;
export type Day = keyof OpeningHours["weekly"];
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const satisfies readonly Day[];
export type Interval = Out<"Interval">;
export type QueueMember = Out<"QueueMember">;

/** What a supervisor writes: the whole queue (PUT replaces it, members included); `min_gap_seconds`: seconds an
 * operator offered a chat must wait before this queue offers them another (0: none); `webhook_secret`: write-only,
 * omitted on a PUT: the stored one stays. */
export type QueueIn = Omit<Queue, "id" | "webhook_secret_set" | "open_now" | "created_at" | "updated_at"> & {
  webhook_secret?: string;
};

export type PresenceList = Out<"PresenceList">;

const queue = (id: string) => ({ path: { queue_id: id } });
const operator = (userId: string) => ({ path: { user_id: userId } });

export function listQueues(api: ApiClient): Promise<Queue[]> {
  return call(api, "get", "/api/v1/queues").then((body) => body.queues);
}

export function createQueue(api: ApiClient, body: QueueIn): Promise<Queue> {
  return call(api, "post", "/api/v1/queues", { body });
}

export function updateQueue(api: ApiClient, id: string, body: QueueIn): Promise<Queue> {
  return call(api, "put", "/api/v1/queues/{queue_id}", { ...queue(id), body });
}

export async function deleteQueue(api: ApiClient, id: string): Promise<void> {
  await call(api, "delete", "/api/v1/queues/{queue_id}", queue(id));
}

/** Every queue now; null when the server has no summary (an older chat service: the feature hides). */
export function queueSummary(api: ApiClient): Promise<QueueSummary[] | null> {
  return call(api, "get", "/api/v1/queues/summary").then(
    (body) => body.queues ?? [],
    (error: unknown) => {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
      throw error;
    },
  );
}

/** Supervisors and admins: every operator's presence and load. */
export function listPresence(api: ApiClient): Promise<PresenceList> {
  return call(api, "get", "/api/v1/presence");
}

/** An operator as every colleague sees them (to transfer or invite to): no contact details. */
export type Colleague = Out<"Colleague">;

/** Any operator: the account's operators, to transfer or invite to. */
export function listColleagues(api: ApiClient): Promise<Colleague[]> {
  return call(api, "get", "/api/v1/presence/colleagues").then((body) => body.operators);
}

/** Supervisors and admins: the languages an operator speaks (routing offers them chats in those first). */
export function setOperatorLanguages(api: ApiClient, userId: string, languages: string[]): Promise<Presence> {
  return call(api, "put", "/api/v1/operators/{user_id}/languages", { ...operator(userId), body: { languages } });
}

export function setOperatorPresence(api: ApiClient, userId: string, status: PresenceStatus): Promise<Presence> {
  return call(api, "put", "/api/v1/operators/{user_id}/presence", { ...operator(userId), body: { status } });
}

export function setOperatorCapacity(api: ApiClient, userId: string, maxChats: number | null): Promise<Presence> {
  return call(api, "put", "/api/v1/operators/{user_id}/capacity", {
    ...operator(userId),
    body: { max_chats: maxChats },
  });
}

/** Supervisors and admins: the account's default maximum of concurrent chats per operator (the answer is only that
 * number: the operators' lists are read again after it). */
export function setDefaultMaxChats(api: ApiClient, maxChats: number): Promise<{ default_max_chats: number }> {
  return call(api, "put", "/api/v1/presence/settings", { body: { default_max_chats: maxChats } });
}
