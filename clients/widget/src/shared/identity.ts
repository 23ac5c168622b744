/**
 * The visitor token, kept both in localStorage (`fw:vt:<siteKey>`) and in a first-party cookie
 * (`fw_vt_<siteKey>`, one year) so that clearing one of them keeps the visitor.
 */
import { localStore, readCookie, readString, storageKey, writeCookie, writeString } from "./storage";

const ONE_YEAR = 365 * 24 * 3600;

export function tokenCookieName(siteKey: string): string {
  return `fw_vt_${siteKey.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export function loadVisitorToken(siteKey: string): string | null {
  return readString(localStore(), storageKey("vt", siteKey)) || readCookie(tokenCookieName(siteKey));
}

export function saveVisitorToken(siteKey: string, token: string): void {
  writeString(localStore(), storageKey("vt", siteKey), token);
  writeCookie(tokenCookieName(siteKey), token, ONE_YEAR);
}
