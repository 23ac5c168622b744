/** A site's sneak-peek switch (CHAT-4): operators see what the visitor types before it is sent. Kept in the site's
 * `privacy` (docs/api.md `SitePrivacy.sneak_peek`); `PATCH /sites/{id}` replaces the whole `privacy`, so the switch
 * is saved with the other privacy settings as they were read. */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

export type SitePrivacy = Out<"SitePrivacy">;

const site = (siteId: string) => ({ path: { site_id: siteId } });

export function sitePrivacy(api: ApiClient, siteId: string): Promise<SitePrivacy> {
  return call(api, "get", "/api/v1/sites/{site_id}", site(siteId)).then((found) => found.privacy);
}

export async function saveSneakPeek(api: ApiClient, siteId: string, on: boolean): Promise<SitePrivacy> {
  const privacy = await sitePrivacy(api, siteId); // the others as they are now, not as this screen saw them
  const body = { privacy: { ...privacy, sneak_peek: on } };
  return (await call(api, "patch", "/api/v1/sites/{site_id}", { ...site(siteId), body })).privacy;
}
