import { useMemo } from "react";
import { countryBreakdown } from "../../lib/filters";
import type { LiveVisitor } from "../../types";
import { countryLabel } from "./Filters";

interface Props {
  visitors: LiveVisitor[];
  /** The country filter ("" for all). */
  selected: string;
  /** Filter by this country; the selected one again clears the filter. */
  onSelect: (code: string) => void;
}

/** Who is on the site now, by country: count, share and a bar. */
export function CountryBreakdown({ visitors, selected, onSelect }: Props) {
  const rows = useMemo(() => countryBreakdown(visitors), [visitors]);
  return (
    <aside className="country-breakdown" data-fw="country-breakdown" aria-label="Visitors by country">
      <h3>By country</h3>
      {rows.length === 0 && <p className="empty">Nobody yet.</p>}
      <ul>
        {rows.map((c) => {
          const percent = Math.round(c.share * 100);
          const active = c.code === selected;
          return (
            <li key={c.code}>
              <button
                type="button"
                className={active ? "country selected" : "country"}
                data-fw="country-item"
                data-country={c.code}
                data-count={c.count}
                aria-pressed={active}
                title={active ? "Show all countries" : `Show only ${countryLabel(c.code, c.name)}`}
                onClick={() => onSelect(active ? "" : c.code)}
              >
                <span className="country-name">{countryLabel(c.code, c.name)}</span>
                <span className="country-count" data-fw="country-count">
                  {c.count} · {percent}%
                </span>
                <span className="bar" aria-hidden="true">
                  <span style={{ width: `${Math.max(percent, 2)}%` }} />
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
