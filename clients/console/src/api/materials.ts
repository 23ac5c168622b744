/** Typed calls to the support materials of docs/api.md (Canned responses and materials). */

import type { ApiClient } from "./client";

export const MATERIAL_KINDS = ["link", "document", "script"] as const;
export type MaterialKind = (typeof MATERIAL_KINDS)[number];

export interface MaterialIn {
  kind: MaterialKind;
  title: string;
  /** http(s) only: a link's, or a document's file. */
  url: string | null;
  /** A script's, or a document's text. */
  text: string | null;
  /** Null: every queue. */
  queue_id: string | null;
  /** Null: every campaign. */
  campaign: string | null;
}

export interface Material extends MaterialIn {
  id: string;
  created_at: string;
  updated_at: string;
}

const enc = encodeURIComponent;
const BASE = "/api/v1/materials";

/** The account-wide materials and those of `queueId`; `all`: every one (admin). */
export function listMaterials(
  api: ApiClient,
  options: { queueId?: string | null; campaign?: string; all?: boolean } = {},
): Promise<Material[]> {
  const params = new URLSearchParams();
  if (options.queueId) params.set("queue_id", options.queueId);
  if (options.campaign) params.set("campaign", options.campaign);
  if (options.all) params.set("all", "true");
  const query = params.toString();
  return api.get<{ materials: Material[] }>(query ? `${BASE}?${query}` : BASE).then((body) => body.materials);
}

export function createMaterial(api: ApiClient, body: MaterialIn): Promise<Material> {
  return api.post<Material>(BASE, body);
}

export function replaceMaterial(api: ApiClient, id: string, body: MaterialIn): Promise<Material> {
  return api.request<Material>("PUT", `${BASE}/${enc(id)}`, { body });
}

export function deleteMaterial(api: ApiClient, id: string): Promise<void> {
  return api.request<unknown>("DELETE", `${BASE}/${enc(id)}`).then(() => undefined);
}

/** A URL the console may put in a link: http or https only (the server refuses others too). */
export function safeUrl(url: string | null): string | null {
  return url && /^https?:\/\/\S+$/i.test(url) ? url : null;
}
