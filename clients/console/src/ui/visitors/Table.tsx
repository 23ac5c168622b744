import type { ReactNode } from "react";
import type { Sort, SortKey } from "../../lib/sort";
import type { Conversation, LiveVisitor } from "../../types";
import { VisitorRow } from "./Row";

interface Props {
  rows: LiveVisitor[];
  /** How many visitors are on the site, before the filters. */
  total: number;
  chats: Readonly<Record<string, Conversation>>;
  now: number;
  sort: Sort;
  openId: string | null;
  onSort: (key: SortKey) => void;
  onOpen: (visitorId: string) => void;
  onOpenChat: (conversationId: string) => void;
  /** Highlighted visitors (a rule's notify action): visitor id -> the rule's name. */
  highlights?: Readonly<Record<string, string>>;
}

interface Column {
  label: string;
  title?: string;
  sort?: SortKey;
}

const COLUMNS: Column[] = [
  { label: "Visitor" },
  { label: "Location", sort: "country", title: "Sort by country" },
  { label: "Current page", sort: "section", title: "Sort by section" },
  { label: "On page", sort: "time-on-page", title: "Time on page" },
  { label: "On site", sort: "time-on-site", title: "Time on site" },
  { label: "Pages", sort: "pages", title: "Pages viewed" },
  { label: "Device" },
  { label: "Arrived via" },
  { label: "Active", sort: "last-activity", title: "Last activity" },
];

function Header({ column, sort, onSort }: { column: Column; sort: Sort; onSort: (key: SortKey) => void }) {
  const key = column.sort;
  if (!key) return <th scope="col">{column.label}</th>;
  const active = sort.key === key;
  const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
  const arrow: ReactNode = active ? (sort.direction === "asc" ? " ▲" : " ▼") : null;
  return (
    <th scope="col" aria-sort={ariaSort} data-fw={`column-${key}`}>
      <button type="button" className="sort" data-fw={`sort-${key}`} title={column.title} onClick={() => onSort(key)}>
        {column.label}
        {arrow && <span aria-hidden="true">{arrow}</span>}
      </button>
    </th>
  );
}

export function VisitorTable(props: Props) {
  const { rows, total, chats, now, sort, openId, onSort, onOpen, onOpenChat, highlights } = props;
  return (
    <table data-fw="live-visitors" className="visitor-table">
      <thead>
        <tr>
          {COLUMNS.map((column) => (
            <Header key={column.label} column={column} sort={sort} onSort={onSort} />
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((v) => (
          <VisitorRow
            key={v.visitor_id}
            visitor={v}
            chat={chats[v.visitor_id]}
            now={now}
            selected={v.visitor_id === openId}
            onOpen={onOpen}
            onOpenChat={onOpenChat}
            highlight={highlights?.[v.visitor_id]}
          />
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={COLUMNS.length} className="empty" data-fw="visitors-empty">
              {total === 0 ? "No visitors on the site right now." : "No visitor matches the filters."}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
