/** A site's widget look (EMB-3; docs/api.md `WidgetLook`): read with the site, saved with `PATCH /sites/{id}`. */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

export type WidgetLook = Out<"WidgetLook">;

export const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;
export const HTTPS_URL = /^https:\/\/[^\s\\"'<>()]+$/;
/** A path on the gateway's own origin ("/console/floorwalker-logo.svg"), not "//host" (the server checks the same). */
export const GATEWAY_PATH = /^\/([^/\s\\"'<>()][^\s\\"'<>()]*)?$/;

/** What is wrong with a look before it is sent (the server checks the same), or null. */
export function lookProblem(look: WidgetLook): string | null {
  if (!HEX_COLOUR.test(look.color) || !HEX_COLOUR.test(look.text_color)) return "Colours are #rrggbb.";
  const logo = look.logo_url;
  if (logo && (!(HTTPS_URL.test(logo) || GATEWAY_PATH.test(logo)) || logo.length > 500)) {
    return "The logo's address must start with https:// or be a path on this server (at most 500 characters).";
  }
  if (look.title.length > 80) return "The title has at most 80 characters.";
  if (look.greeting.length > 500) return "The greeting has at most 500 characters.";
  return null;
}

const site = (siteId: string) => ({ path: { site_id: siteId } });

export async function siteLook(api: ApiClient, siteId: string): Promise<WidgetLook> {
  return (await call(api, "get", "/api/v1/sites/{site_id}", site(siteId))).widget;
}

export async function saveSiteLook(api: ApiClient, siteId: string, look: WidgetLook): Promise<WidgetLook> {
  const body = { widget: { ...look, logo_url: look.logo_url || null } };
  return (await call(api, "patch", "/api/v1/sites/{site_id}", { ...site(siteId), body })).widget;
}
