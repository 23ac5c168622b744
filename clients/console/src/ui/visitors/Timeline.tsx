import { useState } from "react";
import { formatClock, formatDuration, sinceMs } from "../../lib/time";
import { arrivedText, campaignText, pathOf } from "../../lib/visitors";
import type { PageView, Visit } from "../../types";

interface PagesProps {
  pages: PageView[];
  /** The visitor is still on the last page: its time ticks. */
  live: boolean;
  now: number;
}

/** The path of one visit, page by page in order. */
export function PagePath({ pages, live, now }: PagesProps) {
  if (pages.length === 0) return <p className="empty">No pages recorded.</p>;
  return (
    <ol className="timeline">
      {pages.map((page, i) => {
        const current = live && i === pages.length - 1;
        const spent = current
          ? formatDuration(sinceMs(page.viewed_at, now))
          : page.time_spent_seconds == null
            ? "—"
            : formatDuration(page.time_spent_seconds * 1000);
        const path = pathOf(page.url);
        return (
          <li
            key={page.page_id}
            data-fw="timeline-page"
            data-page-id={page.page_id}
            className={current ? "current" : undefined}
          >
            <time dateTime={page.viewed_at}>{formatClock(page.viewed_at, new Date(now))}</time>
            <div className="timeline-page">
              <span className="page-title" title={page.url}>
                {page.title || path}
              </span>
              {page.title && <span className="page-url">{path}</span>}
              {page.section && <span className="tag section">{page.section}</span>}
            </div>
            <span className="spent" data-fw="time-spent" title="Time on this page">
              {current ? `${spent} · now` : spent}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

function visitSummary(visit: Visit): string {
  const campaign = campaignText(visit.utm);
  const parts = [arrivedText(visit.arrived_via, visit.referrer), campaign && `campaign: ${campaign}`];
  return parts.filter(Boolean).join(" · ");
}

/** The visit going on now: how it started and its path so far. */
export function CurrentVisit({ visit, now }: { visit: Visit; now: number }) {
  return (
    <section className="panel-section" data-fw="visit-timeline" data-visit-id={visit.visit_id}>
      <h3>This visit</h3>
      <p className="muted">
        Started {formatClock(visit.started_at, new Date(now))} · {visitSummary(visit)}
        {visit.referrer && <> · from {visit.referrer}</>}
      </p>
      <PagePath pages={visit.pages} live now={now} />
    </section>
  );
}

function EarlierVisit({ visit, now }: { visit: Visit; now: number }) {
  const [open, setOpen] = useState(false);
  const minutes = sinceMs(visit.started_at, Date.parse(visit.last_activity_at));
  return (
    <li data-fw="earlier-visit" data-visit-id={visit.visit_id}>
      <button
        type="button"
        className="visit-toggle"
        data-fw="visit-expand"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <span className="visit-date">{formatClock(visit.started_at, new Date(now))}</span>
        <span className="visit-landing">{pathOf(visit.landing_url) || "—"}</span>
        <span className="muted">{visitSummary(visit)}</span>
        <span className="muted">
          {visit.page_count} {visit.page_count === 1 ? "page" : "pages"} · {formatDuration(minutes)}
        </span>
      </button>
      {open && <PagePath pages={visit.pages} live={false} now={now} />}
    </li>
  );
}

export function EarlierVisits({ visits, now }: { visits: Visit[]; now: number }) {
  return (
    <section className="panel-section" data-fw="earlier-visits">
      <h3>Earlier visits</h3>
      {visits.length === 0 ? (
        <p className="empty">None.</p>
      ) : (
        <ul className="visits">
          {visits.map((visit) => (
            <EarlierVisit key={visit.visit_id} visit={visit} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}
