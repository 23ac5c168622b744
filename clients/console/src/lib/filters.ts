/** Filters of the live visitors table and the country breakdown of who is on the site. */

import type { LiveVisitor } from "../types";
import { sinceMs } from "./time";
import { countryKey } from "./visitors";

/** Section filter value for pages that no section pattern matched. */
export const NO_SECTION = "__none__";
export const ALL = "";

export type VisitorKind = "all" | "new" | "returning";

export interface VisitorFilters {
  section: string;
  country: string;
  kind: VisitorKind;
  /** Minimum time on site, in seconds. */
  minSeconds: number;
  /** A segment's id, `NO_SEGMENT` for visitors in none, `ALL`. */
  segment: string;
}

/** Segment filter value for visitors in no segment. */
export const NO_SEGMENT = "__none__";

export const NO_FILTERS: VisitorFilters = { section: ALL, country: ALL, kind: "all", minSeconds: 0, segment: ALL };

export const MIN_TIME_OPTIONS: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 0, label: "any time" },
  { seconds: 60, label: "≥ 1 min" },
  { seconds: 300, label: "≥ 5 min" },
  { seconds: 900, label: "≥ 15 min" },
];

export function isFiltered(filters: VisitorFilters): boolean {
  return (
    filters.section !== ALL ||
    filters.country !== ALL ||
    filters.kind !== "all" ||
    filters.minSeconds > 0 ||
    (filters.segment ?? ALL) !== ALL
  );
}

/** Time on site: since the start of this visit. */
export function timeOnSiteMs(v: LiveVisitor, now: number): number {
  return sinceMs(v.visit_started_at ?? v.first_seen_at, now);
}

export function matches(v: LiveVisitor, filters: VisitorFilters, now: number): boolean {
  if (filters.section === NO_SECTION) {
    if (v.section) return false;
  } else if (filters.section !== ALL && v.section !== filters.section) return false;
  if (filters.country !== ALL && countryKey(v.location) !== filters.country) return false;
  if (filters.kind === "new" && v.returning) return false;
  if (filters.kind === "returning" && !v.returning) return false;
  if (filters.minSeconds > 0 && timeOnSiteMs(v, now) < filters.minSeconds * 1000) return false;
  const segment = filters.segment ?? ALL;
  if (segment === NO_SEGMENT) {
    if (v.segment_id) return false;
  } else if (segment !== ALL && v.segment_id !== segment) return false;
  return true;
}

/** The segments the live visitors are in (by id, with their names), A to Z by name, and whether some are in none. */
export function segmentsOf(visitors: readonly LiveVisitor[]): { segments: Array<{ id: string; name: string }>; none: boolean } {
  const byId = new Map<string, string>();
  let none = false;
  for (const v of visitors) {
    if (v.segment_id) byId.set(v.segment_id, v.segment_name || v.segment_id);
    else none = true;
  }
  const segments = [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
  return { segments, none };
}

export function filterVisitors(visitors: readonly LiveVisitor[], filters: VisitorFilters, now: number): LiveVisitor[] {
  return visitors.filter((v) => matches(v, filters, now));
}

/** The sections of the current pages, A to Z, and whether some pages have none. */
export function sectionsOf(visitors: readonly LiveVisitor[]): { sections: string[]; unsectioned: boolean } {
  const sections = new Set<string>();
  let unsectioned = false;
  for (const v of visitors) {
    if (v.section) sections.add(v.section);
    else unsectioned = true;
  }
  return { sections: [...sections].sort((a, b) => a.localeCompare(b)), unsectioned };
}

export interface CountryCount {
  /** ISO code, or "?" when the location is unknown. */
  code: string;
  name: string | null;
  count: number;
  /** Of all the visitors counted, 0..1. */
  share: number;
}

/** Visitors per country, most visitors first (unknown last). */
export function countryBreakdown(visitors: readonly LiveVisitor[]): CountryCount[] {
  const byCode = new Map<string, CountryCount>();
  for (const v of visitors) {
    const code = countryKey(v.location);
    const entry = byCode.get(code) ?? { code, name: v.location?.country ?? null, count: 0, share: 0 };
    entry.count += 1;
    entry.name = entry.name ?? v.location?.country ?? null;
    byCode.set(code, entry);
  }
  const total = visitors.length;
  return [...byCode.values()]
    .map((c) => ({ ...c, share: total ? c.count / total : 0 }))
    .sort((a, b) => {
      const unknown = Number(a.code === "?") - Number(b.code === "?");
      return unknown || b.count - a.count || a.code.localeCompare(b.code);
    });
}
