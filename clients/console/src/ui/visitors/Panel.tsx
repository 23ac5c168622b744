import { useEffect } from "react";
import type { ApiClient } from "../../api/client";
import { formatClock } from "../../lib/time";
import { deviceText, localTime, locationLong, visitorName } from "../../lib/visitors";
import type { Conversation, InvitationNote, LiveVisitor, VisitorDetail } from "../../types";
import { CallVisitor } from "./CallVisitor";
import { CurrentVisit, EarlierVisits } from "./Timeline";
import { useVisitorDetail } from "./useVisitorDetail";

interface Props {
  api: ApiClient;
  visitorId: string;
  /** The live record, while the visitor is on the site; each change refreshes the detail. */
  live: LiveVisitor | undefined;
  chat: Conversation | undefined;
  now: number;
  onClose: () => void;
  onOpenChat: (conversationId: string) => void;
  /** The latest invitation to this visitor (ENG-2). */
  invitation?: InvitationNote;
  /** Calls the visitor (shown while they are on the site, not chatting, and not a robot). */
  onCall?: (text: string, autoOpen: boolean) => Promise<boolean>;
}

type Identity = Pick<
  LiveVisitor,
  | "visitor_id"
  | "contact"
  | "ip"
  | "location"
  | "device"
  | "first_seen_at"
  | "visit_count"
  | "returning"
  | "attributes"
  | "segment_name"
  | "tags"
>;

function IdentitySection({ who, detail, now }: { who: Identity; detail: VisitorDetail | null; now: number }) {
  const { contact, location } = who;
  const place = locationLong(location);
  const there = localTime(location?.time_zone, now);
  return (
    <section className="panel-section" data-fw="visitor-identity">
      <dl className="facts">
        {contact && (
          <>
            <dt>Contact</dt>
            <dd data-fw="visitor-contact">
              {[contact.name, contact.email, contact.phone].filter(Boolean).join(" · ") || contact.user_id}
              {contact.verified && <span className="tag verified">verified</span>}
            </dd>
          </>
        )}
        <dt>Visitor</dt>
        <dd>
          {who.visitor_id} · {who.returning ? `returning, visit ${who.visit_count}` : "new"} · first seen{" "}
          {formatClock(who.first_seen_at, new Date(now))}
        </dd>
        {who.segment_name && (
          <>
            <dt>Segment</dt>
            <dd data-fw="panel-segment">{who.segment_name}</dd>
          </>
        )}
        {who.tags && who.tags.length > 0 && (
          <>
            <dt>Tags</dt>
            <dd data-fw="panel-tags">{who.tags.join(", ")}</dd>
          </>
        )}
        <dt>IP</dt>
        <dd data-fw="visitor-ip">{who.ip ?? "—"}</dd>
        <dt>Location</dt>
        <dd data-fw="panel-location">
          {place || "unknown"}
          {location?.time_zone && (
            <span className="muted">
              {" "}
              · {location.time_zone}
              {there && <> (now {there})</>}
            </span>
          )}
        </dd>
        <dt>Device</dt>
        <dd data-fw="panel-device">
          {deviceText(who.device) || "—"}
          {who.device?.device_class && <span className="muted"> · {who.device.device_class}</span>}
        </dd>
        {detail?.is_robot && (
          <>
            <dt>Robot</dt>
            <dd>{detail.robot_reason ?? "yes"}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function History({ detail, live, now }: { detail: VisitorDetail; live: LiveVisitor | undefined; now: number }) {
  const currentId = live ? (live.visit_id ?? detail.visit_id) : null;
  const current = currentId ? detail.visits.find((v) => v.visit_id === currentId) : undefined;
  const earlier = detail.visits.filter((v) => v !== current);
  const attributes = Object.entries(detail.attributes ?? live?.attributes ?? {});
  return (
    <>
      {current && <CurrentVisit visit={current} now={now} />}
      {!live && <p className="muted panel-section">Not on the site now.</p>}
      <EarlierVisits visits={earlier} now={now} />
      {detail.products.length > 0 && (
        <section className="panel-section" data-fw="visitor-products">
          <h3>Products viewed</h3>
          <ul className="plain">
            {detail.products.map((p, i) => (
              <li key={`${p.sku ?? p.name}-${p.viewed_at}-${i}`}>
                {p.url ? <a href={p.url} target="_blank" rel="noreferrer">{p.name}</a> : p.name}
                {p.price != null && <span> · {p.price} {p.currency ?? ""}</span>}
                {p.category && <span className="muted"> · {p.category}</span>}
                <span className="muted"> · {formatClock(p.viewed_at, new Date(now))}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {detail.searches.length > 0 && (
        <section className="panel-section" data-fw="visitor-searches">
          <h3>Searches</h3>
          <ul className="plain">
            {detail.searches.map((s, i) => (
              <li key={`${s.query}-${s.viewed_at}-${i}`}>
                “{s.query}” <span className="muted">· {formatClock(s.viewed_at, new Date(now))}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {attributes.length > 0 && (
        <section className="panel-section" data-fw="visitor-attributes">
          <h3>Attributes</h3>
          <dl className="facts">
            {attributes.map(([name, value]) => (
              <div key={name} className="fact">
                <dt>{name}</dt>
                <dd>{value === null ? "—" : String(value)}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}
    </>
  );
}

/** Everything about one visitor: who, this visit's path, earlier visits, products, searches, attributes. */
export function VisitorPanel({ api, visitorId, live, chat, now, onClose, onOpenChat, invitation, onCall }: Props) {
  const { detail, error, loading } = useVisitorDetail(api, visitorId, live);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);

  const who: Identity | null = detail ?? live ?? null;
  return (
    <aside
      className="visitor-panel"
      role="dialog"
      aria-label="Visitor details"
      data-fw="visitor-panel"
      data-visitor-id={visitorId}
      data-loading={loading ? "true" : undefined}
    >
      <header className="panel-header">
        <h2>{visitorName(visitorId, who?.contact)}</h2>
        {chat && (
          <button type="button" className="primary" data-fw="panel-chat" onClick={() => onOpenChat(chat.id)}>
            {chat.state === "waiting" ? "Open waiting chat" : "Open chat"}
          </button>
        )}
        <button type="button" data-fw="panel-close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {error && (
        <p className="error panel-section" data-fw="panel-error">
          {error}
        </p>
      )}
      {onCall && live && !chat && !detail?.is_robot && <CallVisitor invitation={invitation} onCall={onCall} />}
      {who && <IdentitySection who={who} detail={detail} now={now} />}
      {detail && <History detail={detail} live={live} now={now} />}
      {!detail && loading && <p className="muted panel-section">Loading…</p>}
    </aside>
  );
}
