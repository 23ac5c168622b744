import { useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { searchHistory, type HistoryQuery } from "../../api/contacts";
import { errorText } from "../../lib/admin";
import { formatClock } from "../../lib/time";
import { TranscriptView } from "./TranscriptView";
import "./history.css";

const PAGE = 25;

export interface OperatorOption {
  id: string;
  name: string;
}

interface Form {
  visitor: string;
  q: string;
  operator_id: string;
  since: string; // yyyy-mm-dd, the visitor's day
  until: string; // yyyy-mm-dd, inclusive
}

const EMPTY: Form = { visitor: "", q: "", operator_id: "", since: "", until: "" };

/** The day after a yyyy-mm-dd date (the search's `until` is exclusive; the form's is the last day shown). */
export function dayAfter(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return "";
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** A local day's start as an ISO instant (the operator's days, not UTC's). */
export function localDayStart(day: string): string {
  const date = new Date(`${day}T00:00:00`);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

export function queryOf(form: Form, offset: number): HistoryQuery {
  return {
    visitor: form.visitor,
    q: form.q,
    operator_id: form.operator_id,
    since: form.since ? localDayStart(form.since) : undefined,
    until: form.until ? localDayStart(dayAfter(form.until)) : undefined,
    offset,
    limit: PAGE,
  };
}

/** The history of closed chats (OPS-3): search by visitor (name, email, phone), operator, dates and text; newest
 * first, by pages; a result opens its transcript (messages and notes) beside the list. */
export function HistoryScreen({ api, operators = [] }: { api: ApiClient; operators?: OperatorOption[] }) {
  const [form, setForm] = useState<Form>(EMPTY);
  const [asked, setAsked] = useState({ form: EMPTY, offset: 0, search: 0 });
  const found = useQuery({
    queryKey: keys.history(asked),
    queryFn: () => searchHistory(api, queryOf(asked.form, asked.offset)),
    placeholderData: keepPreviousData, // the last page stays until the next one is read
  });
  const page = found.data;
  const [reading, setReading] = useState<string | null>(null);
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const total = page?.total ?? 0;
  return (
    <div className="history" data-fw="history">
      <section>
        <h2>History of closed chats</h2>
        <form
          className="history-search"
          data-fw="history-search"
          onSubmit={(event) => {
            event.preventDefault();
            setAsked({ form, offset: 0, search: asked.search + 1 }); // each search reads anew
          }}
        >
          <label>
            Visitor
            <input
              data-fw="history-visitor"
              placeholder="name, email or phone"
              maxLength={200}
              value={form.visitor}
              onChange={(e) => set({ visitor: e.target.value })}
            />
          </label>
          <label>
            Text
            <input
              data-fw="history-text"
              placeholder="words in a message"
              maxLength={200}
              value={form.q}
              onChange={(e) => set({ q: e.target.value })}
            />
          </label>
          <label>
            Operator
            <select data-fw="history-operator" value={form.operator_id} onChange={(e) => set({ operator_id: e.target.value })}>
              <option value="">anyone</option>
              {operators.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input type="date" data-fw="history-since" value={form.since} onChange={(e) => set({ since: e.target.value })} />
          </label>
          <label>
            To
            <input type="date" data-fw="history-until" value={form.until} onChange={(e) => set({ until: e.target.value })} />
          </label>
          <button type="submit" className="primary" data-fw="history-go">
            Search
          </button>
        </form>
        {found.error && <p className="error">{errorText(found.error)}</p>}
        {page && (
          <p className="muted" data-fw="history-total">
            {total === 0 ? "No closed chats found." : `${total} closed chat${total === 1 ? "" : "s"}`}
          </p>
        )}
        <ul className="history-results" data-fw="history-results">
          {page?.conversations.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                data-fw="history-result"
                data-conversation-id={c.id}
                aria-current={reading === c.id}
                onClick={() => setReading(c.id)}
              >
                <strong>{c.visitor_name || c.visitor_email || "Visitor"}</strong>{" "}
                <span className="muted">
                  {formatClock(c.created_at)}
                  {c.operator_name && <> · {c.operator_name}</>}
                </span>
                {c.first_line && <span className="first-line">{c.first_line}</span>}
              </button>
            </li>
          ))}
        </ul>
        {page && total > PAGE && (
          <div className="pager">
            <button
              type="button"
              data-fw="history-previous"
              disabled={asked.offset === 0}
              onClick={() => setAsked({ ...asked, offset: Math.max(0, asked.offset - PAGE) })}
            >
              Newer
            </button>{" "}
            <span className="muted">
              {asked.offset + 1}–{Math.min(total, asked.offset + PAGE)} of {total}
            </span>{" "}
            <button
              type="button"
              data-fw="history-next"
              disabled={asked.offset + PAGE >= total}
              onClick={() => setAsked({ ...asked, offset: asked.offset + PAGE })}
            >
              Older
            </button>
          </div>
        )}
      </section>
      {reading ? (
        <TranscriptView api={api} conversationId={reading} onClose={() => setReading(null)} />
      ) : (
        <p className="muted">Pick a chat to read it.</p>
      )}
    </div>
  );
}
