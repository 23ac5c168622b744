import { useCallback, useMemo, useState } from "react";
import type { ApiClient } from "../../api/client";
import { filterVisitors, isFiltered, NO_FILTERS, type VisitorFilters } from "../../lib/filters";
import { DEFAULT_SORT, sortVisitors, toggleSort, type Sort, type SortKey } from "../../lib/sort";
import type { Conversation, GeoInfo, InvitationNote, LiveVisitor } from "../../types";
import { CountryBreakdown } from "./CountryBreakdown";
import { VisitorFiltersBar } from "./Filters";
import { VisitorPanel } from "./Panel";
import { VisitorTable } from "./Table";

interface Props {
  api: ApiClient;
  /** Everyone on the site now. */
  visitors: LiveVisitor[];
  /** The open (waiting or active) conversation of each visitor, by visitor id. */
  chats: Readonly<Record<string, Conversation>>;
  geo: GeoInfo | null;
  now: number;
  onOpenChat: (conversationId: string) => void;
  /** The latest invitation to each visitor, by visitor id. */
  invitations?: Readonly<Record<string, InvitationNote>>;
  /** Calls a visitor (ENG-2). */
  onCall?: (visitorId: string, text: string, autoOpen: boolean) => Promise<boolean>;
  /** The visitor whose panel is open, when the parent decides (the chat's "Visitor" button); else kept here. */
  openVisitorId?: string | null;
  onOpenVisitor?: (visitorId: string | null) => void;
  /** Visitors a rule asked to highlight now (`visitor.highlight`): visitor id -> the rule's name. */
  highlights?: Readonly<Record<string, string>>;
}

export function GeoAttribution({ geo }: { geo: GeoInfo | null }) {
  if (!geo?.attribution) return null;
  return (
    <p className="geo-attribution" data-fw="geo-attribution">
      Locations:{" "}
      {geo.attribution_url ? (
        <a href={geo.attribution_url} target="_blank" rel="noreferrer">
          {geo.attribution}
        </a>
      ) : (
        geo.attribution
      )}
    </p>
  );
}

/** The live visitors: filters, a sortable table, the breakdown by country and the panel of one visitor. */
export function LiveVisitors(props: Props) {
  const { api, visitors, chats, geo, now, onOpenChat, invitations, onCall } = props;
  const [filters, setFilters] = useState<VisitorFilters>(NO_FILTERS);
  const [sort, setSort] = useState<Sort>(DEFAULT_SORT);
  const [ownOpenId, setOwnOpenId] = useState<string | null>(null);
  const controlled = props.openVisitorId !== undefined;
  const openId = controlled ? (props.openVisitorId ?? null) : ownOpenId;
  const { onOpenVisitor } = props;
  const setOpenId = useCallback(
    (id: string | null) => (onOpenVisitor ? onOpenVisitor(id) : setOwnOpenId(id)),
    [onOpenVisitor],
  );

  // Filtered on every tick: "at least 5 min on site" changes as time passes.
  const rows = sortVisitors(filterVisitors(visitors, filters, now), sort);
  const live = useMemo(() => new Map(visitors.map((v) => [v.visitor_id, v])), [visitors]);
  const close = useCallback(() => setOpenId(null), [setOpenId]);
  const onSort = (key: SortKey) => setSort((current) => toggleSort(current, key));

  return (
    <section className="visitors" aria-label="Live visitors">
      <div className="visitors-head">
        <h2>
          Live visitors{" "}
          <span className="count" data-fw="visitor-count">
            {isFiltered(filters) ? `${rows.length} of ${visitors.length}` : visitors.length}
          </span>
        </h2>
        <VisitorFiltersBar visitors={visitors} filters={filters} onChange={setFilters} />
      </div>
      <div className="visitors-body">
        <div className="visitors-main">
          <VisitorTable
            rows={rows}
            total={visitors.length}
            chats={chats}
            now={now}
            sort={sort}
            openId={openId}
            onSort={onSort}
            onOpen={setOpenId}
            onOpenChat={onOpenChat}
            highlights={props.highlights}
          />
          <GeoAttribution geo={geo} />
        </div>
        <CountryBreakdown
          visitors={visitors}
          selected={filters.country}
          onSelect={(country) => setFilters((f) => ({ ...f, country }))}
        />
      </div>
      {openId && (
        <VisitorPanel
          key={openId}
          api={api}
          visitorId={openId}
          live={live.get(openId)}
          chat={chats[openId]}
          now={now}
          onClose={close}
          onOpenChat={(id) => {
            close(); // the chat is under the panel
            onOpenChat(id);
          }}
          invitation={invitations?.[openId]}
          onCall={onCall && ((text, autoOpen) => onCall(openId, text, autoOpen))}
        />
      )}
    </section>
  );
}
