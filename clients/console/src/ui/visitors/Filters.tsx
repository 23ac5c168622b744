import { useMemo } from "react";
import {
  ALL,
  countryBreakdown,
  isFiltered,
  MIN_TIME_OPTIONS,
  NO_FILTERS,
  NO_SECTION,
  NO_SEGMENT,
  sectionsOf,
  segmentsOf,
  type VisitorFilters,
  type VisitorKind,
} from "../../lib/filters";
import { UNKNOWN_COUNTRY } from "../../lib/visitors";
import type { LiveVisitor } from "../../types";

interface Props {
  /** Every live visitor: the choices are built from what is there. */
  visitors: LiveVisitor[];
  filters: VisitorFilters;
  onChange: (filters: VisitorFilters) => void;
}

export function countryLabel(code: string, name: string | null): string {
  if (code === UNKNOWN_COUNTRY) return "Unknown";
  return name ? `${code} ${name}` : code;
}

export function VisitorFiltersBar({ visitors, filters, onChange }: Props) {
  const { sections, unsectioned } = useMemo(() => sectionsOf(visitors), [visitors]);
  const countries = useMemo(() => countryBreakdown(visitors), [visitors]);
  const { segments, none: unsegmented } = useMemo(() => segmentsOf(visitors), [visitors]);
  const segment = filters.segment ?? ALL;
  const segmentGone = segment !== ALL && segment !== NO_SEGMENT && !segments.some((s) => s.id === segment);
  const set = (patch: Partial<VisitorFilters>) => onChange({ ...filters, ...patch });
  // A chosen value stays selectable after its last visitor left, so the select shows what filters.
  const sectionGone = filters.section !== ALL && filters.section !== NO_SECTION && !sections.includes(filters.section);
  const countryGone = filters.country !== ALL && !countries.some((c) => c.code === filters.country);

  return (
    <div className="visitor-filters" role="group" aria-label="Filter visitors">
      <label>
        Section
        <select
          data-fw="filter-section"
          value={filters.section}
          onChange={(e) => set({ section: e.target.value })}
        >
          <option value={ALL}>All sections</option>
          {sections.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          {sectionGone && <option value={filters.section}>{filters.section}</option>}
          {(unsectioned || filters.section === NO_SECTION) && <option value={NO_SECTION}>No section</option>}
        </select>
      </label>
      <label>
        Country
        <select
          data-fw="filter-country"
          value={filters.country}
          onChange={(e) => set({ country: e.target.value })}
        >
          <option value={ALL}>All countries</option>
          {countries.map((c) => (
            <option key={c.code} value={c.code}>
              {countryLabel(c.code, c.name)} ({c.count})
            </option>
          ))}
          {countryGone && <option value={filters.country}>{countryLabel(filters.country, null)} (0)</option>}
        </select>
      </label>
      <label>
        Segment
        <select data-fw="filter-segment" value={segment} onChange={(e) => set({ segment: e.target.value })}>
          <option value={ALL}>All segments</option>
          {segments.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
          {segmentGone && <option value={segment}>(a segment nobody is in now)</option>}
          {(unsegmented || segment === NO_SEGMENT) && <option value={NO_SEGMENT}>No segment</option>}
        </select>
      </label>
      <label>
        Visitors
        <select
          data-fw="filter-kind"
          value={filters.kind}
          onChange={(e) => set({ kind: e.target.value as VisitorKind })}
        >
          <option value="all">New and returning</option>
          <option value="new">New</option>
          <option value="returning">Returning</option>
        </select>
      </label>
      <label>
        On site
        <select
          data-fw="filter-min-time"
          value={filters.minSeconds}
          onChange={(e) => set({ minSeconds: Number(e.target.value) })}
        >
          {MIN_TIME_OPTIONS.map((o) => (
            <option key={o.seconds} value={o.seconds}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      {isFiltered(filters) && (
        <button type="button" className="link" data-fw="filter-clear" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </button>
      )}
    </div>
  );
}
