/** Typed calls to the canned responses of docs/api.md (Canned responses and materials), and the placeholders
 * the console fills in when it inserts one. */

import type { ApiClient } from "./client";

export interface CannedIn {
  /** Typed after `/`: letters, digits, `-`, `_` (1-32); the server keeps it in lower case. */
  shortcut: string;
  title: string;
  /** At most 4096 bytes; `{visitor.name}` and `{operator.name}` are filled in when inserted. */
  text: string;
  /** Null: the whole account's. */
  queue_id: string | null;
}

export interface CannedResponse extends CannedIn {
  id: string;
  created_at: string;
  updated_at: string;
}

const enc = encodeURIComponent;
const BASE = "/api/v1/canned-responses";

/** The account's own responses and those of `queueId` (the queue's first); `all`: every scope (admin). */
export function listCanned(
  api: ApiClient,
  options: { queueId?: string | null; q?: string; all?: boolean } = {},
): Promise<CannedResponse[]> {
  const params = new URLSearchParams();
  if (options.queueId) params.set("queue_id", options.queueId);
  if (options.q) params.set("q", options.q);
  if (options.all) params.set("all", "true");
  const query = params.toString();
  return api
    .get<{ canned_responses: CannedResponse[] }>(query ? `${BASE}?${query}` : BASE)
    .then((body) => body.canned_responses);
}

export function createCanned(api: ApiClient, body: CannedIn): Promise<CannedResponse> {
  return api.post<CannedResponse>(BASE, body);
}

export function replaceCanned(api: ApiClient, id: string, body: CannedIn): Promise<CannedResponse> {
  return api.request<CannedResponse>("PUT", `${BASE}/${enc(id)}`, { body });
}

export function deleteCanned(api: ApiClient, id: string): Promise<void> {
  return api.request<unknown>("DELETE", `${BASE}/${enc(id)}`).then(() => undefined);
}

export interface Placeholders {
  visitorName: string;
  operatorName: string;
}

/** The text with `{visitor.name}` and `{operator.name}` filled in; any other braces stay as written. */
export function expandPlaceholders(text: string, values: Placeholders): string {
  return text.replace(/\{(visitor|operator)\.name\}/g, (_, who: string) =>
    who === "visitor" ? values.visitorName : values.operatorName,
  );
}

/** The responses a `/query` finds: shortcuts starting with it first, then those containing it in shortcut,
 * title or text (case-insensitive); the order of `list` is kept within each group. */
export function findCanned(list: CannedResponse[], query: string): CannedResponse[] {
  const needle = query.toLowerCase();
  if (!needle) return list;
  const starts = list.filter((c) => c.shortcut.toLowerCase().startsWith(needle));
  const contains = list.filter(
    (c) =>
      !starts.includes(c) &&
      [c.shortcut, c.title, c.text].some((field) => field.toLowerCase().includes(needle)),
  );
  return [...starts, ...contains];
}
