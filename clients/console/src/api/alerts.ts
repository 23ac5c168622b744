/** The operator's own alert settings (docs/api.md, Operator alerts): SMS on a new chat while online. */

import type { ApiClient } from "./client";
import { call, type Schema } from "./typed";

export type AlertSettings = Schema<"AlertSettingsOut">;

/** E.164, as the server checks it: "+", a country code not starting with 0, 8 to 15 digits in all. */
export const E164 = /^\+[1-9][0-9]{7,14}$/;

export function myAlerts(api: ApiClient): Promise<AlertSettings> {
  return call(api, "get", "/api/v1/me/alerts");
}

export function setMyAlerts(api: ApiClient, smsEnabled: boolean, phone: string | null): Promise<AlertSettings> {
  return call(api, "put", "/api/v1/me/alerts", { body: { sms_enabled: smsEnabled, phone } });
}
