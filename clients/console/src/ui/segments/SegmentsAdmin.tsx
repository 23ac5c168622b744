import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import {
  definitionOf,
  deleteSegment,
  listSegments,
  moveSegment,
  newSegment,
  type Segment,
} from "../../api/segments";
import { errorText } from "../../lib/admin";
import { loadError } from "../hooks";
import { ChoicesProvider, useRuleChoices } from "../rules/choices";
import { SegmentEditor } from "./SegmentEditor";
import "../rules/rules.css";
import "./segments.css";

const NEW_SEGMENT = newSegment();

/** Customer segments (supervisors and admins): the account's segments in the order they are tested (a visitor
 * is in the first they match), moved, deleted, or opened in the editor; and new ones. */
export function SegmentsAdmin({ api }: { api: ApiClient }) {
  const cache = useQueryClient();
  const listed = useQuery({ queryKey: keys.segments, queryFn: () => listSegments(api) });
  const segments = listed.data ?? null;
  const setSegments = (update: Segment[] | ((list?: Segment[]) => Segment[] | undefined)) =>
    void cache.setQueryData<Segment[]>(keys.segments, update);
  const load = () => cache.invalidateQueries({ queryKey: keys.segments });
  const [failure, setError] = useState<string | null>(null);
  const error = failure ?? loadError("the segments", listed.error);
  const [editing, setEditing] = useState<string | null>(null); // a segment's id; "new": one not saved yet
  const choices = useRuleChoices(api, "");

  const act = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(errorText(failure));
      await load();
    }
  };
  const edited = editing && editing !== "new" ? segments?.find((s) => s.id === editing) : undefined;

  return (
    <main className="settings admin rules-admin segments-admin" data-fw="segments-admin" aria-label="Segments">
      <header className="settings-header">
        <h1>Customer segments</h1>
      </header>
      {error && (
        <p className="error" role="alert" data-fw="segments-error">
          {error}
        </p>
      )}
      {!segments && !error && <p className="muted">Loading…</p>}
      {segments && (
        <>
          <p className="muted hint">
            Tested from the top: each live visitor is in the first segment they match (or in none). Rules can test a
            visitor&apos;s segment.
          </p>
          <ol className="rule-list" data-fw="segment-list">
            {segments.map((segment, i) => (
              <SegmentRow
                key={segment.id}
                segment={segment}
                first={i === 0}
                last={i === segments.length - 1}
                current={editing === segment.id}
                onMove={(by) => act(async () => setSegments(await moveSegment(api, segment.id, segment.position + by)))}
                onDelete={() =>
                  act(async () => {
                    await deleteSegment(api, segment.id);
                    if (editing === segment.id) setEditing(null);
                    await load();
                  })
                }
                onEdit={() => setEditing(segment.id)}
              />
            ))}
          </ol>
          {segments.length === 0 && <p className="empty">No segments: visitors are in none.</p>}
          {editing === null && (
            <button type="button" data-fw="segment-new" onClick={() => setEditing("new")}>
              New segment
            </button>
          )}
        </>
      )}
      {(editing === "new" || edited) && (
        <ChoicesProvider value={choices}>
          <SegmentEditor
            key={editing}
            api={api}
            segment={edited}
            initial={edited ? definitionOf(edited) : NEW_SEGMENT}
            onSaved={(saved) => {
              setSegments((list) =>
                list && list.some((s) => s.id === saved.id)
                  ? list.map((s) => (s.id === saved.id ? saved : s))
                  : [...(list ?? []), saved],
              );
              setEditing(saved.id);
            }}
            onCancel={() => setEditing(null)}
          />
        </ChoicesProvider>
      )}
    </main>
  );
}

interface RowProps {
  segment: Segment;
  first: boolean;
  last: boolean;
  current: boolean;
  onMove: (by: -1 | 1) => void;
  onDelete: () => void;
  onEdit: () => void;
}

function SegmentRow({ segment, first, last, current, onMove, onDelete, onEdit }: RowProps) {
  const [confirming, setConfirming] = useState(false);
  return (
    <li className={current ? "rule-row current" : "rule-row"} data-fw="segment-row" data-segment-id={segment.id}>
      <button type="button" className="rule-name link" data-fw="segment-edit" onClick={onEdit}>
        {segment.name}
      </button>
      <span className="muted">{segment.description}</span>
      <span className="spacer" />
      <button
        type="button"
        data-fw="segment-up"
        aria-label={`Move ${segment.name} up`}
        disabled={first}
        onClick={() => onMove(-1)}
      >
        ↑
      </button>
      <button
        type="button"
        data-fw="segment-down"
        aria-label={`Move ${segment.name} down`}
        disabled={last}
        onClick={() => onMove(1)}
      >
        ↓
      </button>
      {confirming ? (
        <span
          className="confirm"
          role="alertdialog"
          aria-label={`Delete ${segment.name}`}
          data-fw="segment-delete-confirm"
        >
          Delete this segment?
          <button
            type="button"
            className="danger"
            data-fw="segment-delete-yes"
            onClick={() => {
              setConfirming(false);
              onDelete();
            }}
          >
            Delete
          </button>
          <button type="button" data-fw="segment-delete-cancel" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" className="danger" data-fw="segment-delete" onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
    </li>
  );
}
