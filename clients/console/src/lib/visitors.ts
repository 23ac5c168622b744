/** How the console describes a visitor: name, page, place, device and where they came from. */

import type { ArrivedVia, Contact, Device, GeoLocation, Utm } from "../types";

export function visitorLabel(visitorId: string): string {
  return `Visitor ${visitorId.slice(-6)}`;
}

/** The contact's name or email when the site identified the visitor, else "Visitor 1a2b3c". */
export function visitorName(visitorId: string, contact?: Contact | null): string {
  return contact?.name || contact?.email || visitorLabel(visitorId);
}

/** "/laptops/pro?x=1" of an absolute URL (the URL itself when it does not parse). */
export function pathOf(url: string | null | undefined): string {
  if (!url) return "";
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** The host of a referrer URL, or the text as it is. */
export function hostOf(url: string | null | undefined): string {
  if (!url) return "";
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export const UNKNOWN_COUNTRY = "?";

/** The country code the filters and the breakdown group by ("?" when unknown). */
export function countryKey(location: GeoLocation | null | undefined): string {
  return location?.country_code?.toUpperCase() || UNKNOWN_COUNTRY;
}

/** "DE · Berlin" */
export function locationText(location: GeoLocation | null | undefined): string {
  if (!location) return "";
  return [location.country_code?.toUpperCase(), location.city].filter(Boolean).join(" · ");
}

/** "Berlin, Berlin, Germany" */
export function locationLong(location: GeoLocation | null | undefined): string {
  if (!location) return "";
  const parts = [location.city, location.region, location.country ?? location.country_code];
  return parts.filter((p, i) => p && parts.indexOf(p) === i).join(", ");
}

/** "Chrome 120 / macOS 14" */
export function deviceText(device: Device | null | undefined): string {
  if (!device) return "";
  const browser = [device.browser, device.browser_version].filter(Boolean).join(" ");
  const os = [device.os, device.os_version].filter(Boolean).join(" ");
  return [browser, os].filter(Boolean).join(" / ");
}

const KIND_TEXT: Record<string, string> = {
  direct: "Direct",
  search: "Search",
  social: "Social",
  campaign: "Campaign",
  referral: "Referral",
  internal: "Internal",
};

/** "Search · google.com · “laptop pro”" */
export function arrivedText(arrived: ArrivedVia | null | undefined, referrer?: string | null): string {
  const kind = arrived?.kind ? (KIND_TEXT[arrived.kind] ?? arrived.kind) : referrer ? "Referral" : "Direct";
  const source = arrived?.source || (arrived?.kind && arrived.kind !== "direct" ? hostOf(referrer) : "");
  const keywords = arrived?.keywords ? `“${arrived.keywords}”` : "";
  return [kind, source, keywords].filter(Boolean).join(" · ");
}

/** "spring-sale (newsletter / email)" */
export function campaignText(utm: Utm | null | undefined): string {
  if (!utm?.campaign) return "";
  const via = [utm.source, utm.medium].filter(Boolean).join(" / ");
  return via ? `${utm.campaign} (${via})` : utm.campaign;
}

/** The time of day in the visitor's time zone, e.g. "14:05", or "" when the zone is unknown. */
export function localTime(timeZone: string | null | undefined, now: number): string {
  if (!timeZone) return "";
  try {
    return new Date(now).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone });
  } catch {
    return "";
  }
}
