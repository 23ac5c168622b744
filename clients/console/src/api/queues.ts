/** Typed calls to departments (queues), their summary and the operators' presence (docs/api.md: Departments,
 * Presence). */

import type { QueueSummary } from "../types";
import { ApiError, type ApiClient } from "./client";
import type { Presence, PresenceStatus } from "./presence";

export const STRATEGIES = [
  "least_busy",
  "round_robin",
  "operator_priority",
  "cheapest_tier",
  "sticky",
  "manual",
  "external_webhook",
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

export interface Interval {
  start: string;
  end: string;
}

export interface OpeningHours {
  time_zone: string;
  weekly: Record<Day, Interval[]>;
  holidays: string[];
}

export interface QueueMember {
  user_id: string;
  priority: number;
}

/** What a supervisor writes: the whole queue (PUT replaces it, members included). */
export interface QueueIn {
  name: string;
  welcome_message: string | null;
  hours: OpeningHours | null;
  priority: number;
  strategy: Strategy;
  max_wait_seconds: number;
  /** Seconds an operator offered a chat must wait before this queue offers them another (0: none). */
  min_gap_seconds: number;
  failover_queue_id: string | null;
  sections: string[];
  members: QueueMember[];
  webhook_url: string | null;
  /** Write-only; omitted on a PUT: the stored one stays. */
  webhook_secret?: string;
}

export interface Queue extends Omit<QueueIn, "webhook_secret"> {
  id: string;
  webhook_secret_set: boolean;
  open_now: boolean;
  created_at: string;
  updated_at: string;
}

export interface PresenceList {
  operators: Presence[];
  default_max_chats: number;
}

const queuePath = (id: string) => `/api/v1/queues/${encodeURIComponent(id)}`;

export function listQueues(api: ApiClient): Promise<Queue[]> {
  return api.get<{ queues: Queue[] }>("/api/v1/queues").then((body) => body.queues);
}

export function createQueue(api: ApiClient, queue: QueueIn): Promise<Queue> {
  return api.post<Queue>("/api/v1/queues", queue);
}

export function updateQueue(api: ApiClient, id: string, queue: QueueIn): Promise<Queue> {
  return api.request<Queue>("PUT", queuePath(id), { body: queue });
}

export function deleteQueue(api: ApiClient, id: string): Promise<void> {
  return api.request<unknown>("DELETE", queuePath(id)).then(() => undefined);
}

/** Every queue now; null when the server has no summary (an older chat service: the feature hides). */
export function queueSummary(api: ApiClient): Promise<QueueSummary[] | null> {
  return api.get<{ queues: QueueSummary[] }>("/api/v1/queues/summary").then(
    (body) => body.queues ?? [],
    (error: unknown) => {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
      throw error;
    },
  );
}

/** Supervisors and admins: every operator's presence and load. */
export function listPresence(api: ApiClient): Promise<PresenceList> {
  return api.get<PresenceList>("/api/v1/presence");
}

/** An operator as every colleague sees them (to transfer or invite to): no contact details. */
export interface Colleague {
  user_id: string;
  name: string | null;
  status: PresenceStatus;
  status_changed_at: string;
  active_chats: number;
  max_chats: number;
  queue_ids: string[];
}

/** Any operator: the account's operators, to transfer or invite to. */
export function listColleagues(api: ApiClient): Promise<Colleague[]> {
  return api.get<{ operators: Colleague[] }>("/api/v1/presence/colleagues").then((body) => body.operators);
}

/** Supervisors and admins: the languages an operator speaks (routing offers them chats in those first). */
export function setOperatorLanguages(api: ApiClient, userId: string, languages: string[]): Promise<Presence> {
  return api.request<Presence>("PUT", `/api/v1/operators/${encodeURIComponent(userId)}/languages`, {
    body: { languages },
  });
}

export function setOperatorPresence(api: ApiClient, userId: string, status: PresenceStatus): Promise<Presence> {
  return api.request<Presence>("PUT", `/api/v1/operators/${encodeURIComponent(userId)}/presence`, {
    body: { status },
  });
}

export function setOperatorCapacity(api: ApiClient, userId: string, maxChats: number | null): Promise<Presence> {
  return api.request<Presence>("PUT", `/api/v1/operators/${encodeURIComponent(userId)}/capacity`, {
    body: { max_chats: maxChats },
  });
}

/** Supervisors and admins: the account's default maximum of concurrent chats per operator. */
export function setDefaultMaxChats(api: ApiClient, maxChats: number): Promise<PresenceList> {
  return api.request<PresenceList>("PUT", "/api/v1/presence/settings", { body: { default_max_chats: maxChats } });
}
