import { useEffect, useMemo, useState, type KeyboardEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { expandPlaceholders, findCanned, listCanned, type CannedResponse } from "../../api/canned";
import "./canned.css";

/** What the composer needs to offer canned responses: where to read them, and the placeholders' values. */
export interface CannedSource {
  api: ApiClient;
  /** The chat's queue: its responses are offered besides the account's. */
  queueId: string | null;
  visitorName: string;
  operatorName: string;
}

const SLASH = /^\/([A-Za-z0-9_-]*)$/;

/** The `/query` the composer's text is, or null when it is not one (a picker is open only then). */
export function slashQuery(text: string): string | null {
  const match = SLASH.exec(text.trimStart());
  return match ? match[1] : null;
}

/** The canned responses picker of the composer (OPS-3): typing `/` opens it, filtered as the operator types
 * (`/gre` finds "greeting"); arrow keys move, Enter or a click inserts the text with its placeholders filled in,
 * Escape closes it. `onKeyDown` is the composer's first handler: true when the picker took the key. */
export function useCannedPicker(source: CannedSource | undefined, text: string, setText: (text: string) => void) {
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const query = source ? slashQuery(text) : null;
  const open = query !== null && dismissed !== text;
  const api = source?.api;
  const queueId = source?.queueId ?? null;

  const canned = useQuery({
    queryKey: [...keys.canned, queueId],
    queryFn: () => listCanned(api as ApiClient, { queueId }),
    enabled: open && !!api, // read when the picker first opens
  });
  const list = canned.data ?? (canned.isError ? [] : null);

  const found = useMemo(() => (open && list ? findCanned(list, query ?? "").slice(0, 8) : []), [open, list, query]);
  useEffect(() => setActive(0), [query]);

  const insert = (canned: CannedResponse) => {
    if (!source) return;
    setText(expandPlaceholders(canned.text, source));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open) return false;
    if (event.key === "Escape") {
      setDismissed(text);
    } else if (event.key === "ArrowDown" && found.length) {
      setActive((i) => (i + 1) % found.length);
    } else if (event.key === "ArrowUp" && found.length) {
      setActive((i) => (i - 1 + found.length) % found.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && found.length && !event.nativeEvent.isComposing) {
      insert(found[Math.min(active, found.length - 1)]);
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  };

  const element = open ? (
    <CannedList found={found} loading={list === null} active={active} onPick={insert} onHover={setActive} />
  ) : null;
  return { open, onKeyDown, element };
}

interface ListProps {
  found: CannedResponse[];
  loading: boolean;
  active: number;
  onPick: (canned: CannedResponse) => void;
  onHover: (index: number) => void;
}

function CannedList({ found, loading, active, onPick, onHover }: ListProps) {
  return (
    <div className="canned-picker" data-fw="canned-picker" role="listbox" aria-label="Canned responses">
      {loading && <p className="muted">Loading…</p>}
      {!loading && found.length === 0 && <p className="muted" data-fw="canned-none">No canned response matches.</p>}
      {found.map((canned, i) => (
        <div
          key={canned.id}
          role="option"
          aria-selected={i === active}
          className={i === active ? "canned-option current" : "canned-option"}
          data-fw="canned-option"
          data-shortcut={canned.shortcut}
          onMouseDown={(event) => {
            event.preventDefault(); // the textarea keeps the focus
            onPick(canned);
          }}
          onMouseEnter={() => onHover(i)}
        >
          <strong>/{canned.shortcut}</strong> <span>{canned.title}</span>
          {canned.queue_id && <span className="muted"> · queue</span>}
          <p className="muted canned-preview">{canned.text}</p>
        </div>
      ))}
    </div>
  );
}
