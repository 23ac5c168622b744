/** A site's sneak-peek switch (CHAT-4): operators see what the visitor types before it is sent. Kept in the site's
 * `privacy` (docs/api.md `SitePrivacy.sneak_peek`); `PATCH /sites/{id}` replaces the whole `privacy`, so the switch
 * is saved with the other privacy settings as they were read. */

import type { ApiClient } from "./client";

export interface SitePrivacy {
  identity_verification: boolean;
  consent_required: boolean;
  honor_dnt: boolean;
  sneak_peek: boolean;
}

const sitePath = (siteId: string) => `/api/v1/sites/${encodeURIComponent(siteId)}`;

export function sitePrivacy(api: ApiClient, siteId: string): Promise<SitePrivacy> {
  return api.get<{ privacy: SitePrivacy }>(sitePath(siteId)).then((site) => site.privacy);
}

export async function saveSneakPeek(api: ApiClient, siteId: string, on: boolean): Promise<SitePrivacy> {
  const privacy = await sitePrivacy(api, siteId); // the others as they are now, not as this screen saw them
  const site = await api.request<{ privacy: SitePrivacy }>("PATCH", sitePath(siteId), {
    body: { privacy: { ...privacy, sneak_peek: on } },
  });
  return site.privacy;
}
