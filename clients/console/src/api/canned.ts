/** Typed calls to the canned responses of docs/api.md (Canned responses and materials), and the placeholders
 * the console fills in when it inserts one. */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

/** What an admin writes: `shortcut` typed after `/` (letters, digits, `-`, `_`, 1-32; kept in lower case); `text`
 * at most 4096 bytes, `{visitor.name}` and `{operator.name}` filled in when inserted; `queue_id` null: the whole
 * account's. */
export type CannedIn = Omit<CannedResponse, "id" | "created_at" | "updated_at">;
export type CannedResponse = Out<"CannedOut">;

const canned = (id: string) => ({ path: { canned_id: id } });

/** The account's own responses and those of `queueId` (the queue's first); `all`: every scope (admin). */
export function listCanned(
  api: ApiClient,
  options: { queueId?: string | null; q?: string; all?: boolean } = {},
): Promise<CannedResponse[]> {
  const query = { queue_id: options.queueId || undefined, q: options.q || undefined, all: options.all || undefined };
  return call(api, "get", "/api/v1/canned-responses", { query }).then((body) => body.canned_responses);
}

export function createCanned(api: ApiClient, body: CannedIn): Promise<CannedResponse> {
  return call(api, "post", "/api/v1/canned-responses", { body });
}

export function replaceCanned(api: ApiClient, id: string, body: CannedIn): Promise<CannedResponse> {
  return call(api, "put", "/api/v1/canned-responses/{canned_id}", { ...canned(id), body });
}

export async function deleteCanned(api: ApiClient, id: string): Promise<void> {
  await call(api, "delete", "/api/v1/canned-responses/{canned_id}", canned(id));
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
