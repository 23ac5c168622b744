/** Sorting of the live visitors table by a column, ascending or descending. */

import type { LiveVisitor } from "../types";
import { countryKey, UNKNOWN_COUNTRY } from "./visitors";

export type SortKey = "time-on-site" | "time-on-page" | "pages" | "country" | "section" | "last-activity";
export type SortDirection = "asc" | "desc";

export interface Sort {
  key: SortKey;
  direction: SortDirection;
}

export const DEFAULT_SORT: Sort = { key: "last-activity", direction: "desc" };

/** Text columns start A to Z; durations, counts and activity start with the largest / most recent. */
const FIRST_DIRECTION: Record<SortKey, SortDirection> = {
  "time-on-site": "desc",
  "time-on-page": "desc",
  pages: "desc",
  country: "asc",
  section: "asc",
  "last-activity": "desc",
};

/** Clicking a column header: the same column flips its direction, another one starts with its usual one. */
export function toggleSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, direction: current.direction === "asc" ? "desc" : "asc" };
  return { key, direction: FIRST_DIRECTION[key] };
}

function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The value a column sorts by (null sorts last whatever the direction). Durations grow as their start gets older. */
function value(v: LiveVisitor, key: SortKey): number | string | null {
  switch (key) {
    case "time-on-site": {
      const start = ms(v.visit_started_at ?? v.first_seen_at);
      return start === null ? null : -start;
    }
    case "time-on-page": {
      const start = ms(v.page_started_at);
      return start === null ? null : -start;
    }
    case "pages":
      return v.pages_viewed;
    case "country": {
      const key = countryKey(v.location);
      return key === UNKNOWN_COUNTRY ? null : key;
    }
    case "section":
      return v.section ? v.section.toLocaleLowerCase() : null;
    case "last-activity":
      return ms(v.last_seen_at);
  }
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

export function sortVisitors(visitors: readonly LiveVisitor[], sort: Sort): LiveVisitor[] {
  const sign = sort.direction === "asc" ? 1 : -1;
  const keyed = visitors.map((v) => ({ v, value: value(v, sort.key) }));
  keyed.sort((x, y) => {
    if (x.value === null || y.value === null) {
      if (x.value !== y.value) return x.value === null ? 1 : -1;
    } else {
      const c = compare(x.value, y.value);
      if (c !== 0) return sign * c;
    }
    return (ms(y.v.last_seen_at) ?? 0) - (ms(x.v.last_seen_at) ?? 0) || x.v.visitor_id.localeCompare(y.v.visitor_id);
  });
  return keyed.map((k) => k.v);
}
