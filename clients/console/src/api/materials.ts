/** Typed calls to the support materials of docs/api.md (Canned responses and materials). */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

export const MATERIAL_KINDS = ["link", "document", "script"] as const satisfies readonly Material["kind"][];
export type MaterialKind = (typeof MATERIAL_KINDS)[number];

/** What an admin writes: `url` http(s) only (a link's, or a document's file); `text` a script's, or a document's
 * text; `queue_id` null: every queue; `campaign` null: every campaign. */
export type MaterialIn = Omit<Material, "id" | "created_at" | "updated_at">;
export type Material = Out<"MaterialOut">;

const material = (id: string) => ({ path: { material_id: id } });

/** The account-wide materials and those of `queueId`; `all`: every one (admin). */
export function listMaterials(
  api: ApiClient,
  options: { queueId?: string | null; campaign?: string; all?: boolean } = {},
): Promise<Material[]> {
  const query = {
    queue_id: options.queueId || undefined,
    campaign: options.campaign || undefined,
    all: options.all || undefined,
  };
  return call(api, "get", "/api/v1/materials", { query }).then((body) => body.materials);
}

export function createMaterial(api: ApiClient, body: MaterialIn): Promise<Material> {
  return call(api, "post", "/api/v1/materials", { body });
}

export function replaceMaterial(api: ApiClient, id: string, body: MaterialIn): Promise<Material> {
  return call(api, "put", "/api/v1/materials/{material_id}", { ...material(id), body });
}

export async function deleteMaterial(api: ApiClient, id: string): Promise<void> {
  await call(api, "delete", "/api/v1/materials/{material_id}", material(id));
}

/** A URL the console may put in a link: http or https only (the server refuses others too). */
export function safeUrl(url: string | null): string | null {
  return url && /^https?:\/\/\S+$/i.test(url) ? url : null;
}
