import type { KeyboardEvent, MouseEvent } from "react";
import { formatDuration, sinceMs } from "../../lib/time";
import { timeOnSiteMs } from "../../lib/filters";
import {
  arrivedText,
  campaignText,
  deviceText,
  locationLong,
  locationText,
  pathOf,
  visitorName,
} from "../../lib/visitors";
import type { Conversation, LiveVisitor } from "../../types";
import "../segments/segments.css";

interface Props {
  visitor: LiveVisitor;
  /** The visitor's open (waiting or active) conversation, if the console knows it. */
  chat: Conversation | undefined;
  now: number;
  selected: boolean;
  onOpen: (visitorId: string) => void;
  onOpenChat: (conversationId: string) => void;
  /** The name of the rule that asked to highlight this visitor now (`visitor.highlight`). */
  highlight?: string;
}

function ChatTag({ visitor, chat, onOpenChat }: Pick<Props, "visitor" | "chat" | "onOpenChat">) {
  if (chat) {
    const open = (event: MouseEvent) => {
      event.stopPropagation(); // the row itself opens the visitor panel
      onOpenChat(chat.id);
    };
    return (
      <button type="button" className={`tag chat-${chat.state}`} data-fw="visitor-chat" onClick={open}>
        {chat.state === "waiting" ? "waiting chat" : "in chat"}
      </button>
    );
  }
  if (visitor.chat_state === "waiting" || visitor.chat_state === "active") {
    return (
      <span className={`tag chat-${visitor.chat_state}`} data-fw="visitor-chat">
        {visitor.chat_state === "waiting" ? "waiting chat" : "in chat"}
      </span>
    );
  }
  return null;
}

export function VisitorRow({ visitor: v, chat, now, selected, onOpen, onOpenChat, highlight }: Props) {
  const path = pathOf(v.current_url);
  const device = deviceText(v.device);
  const campaign = campaignText(v.utm);
  const onKey = (event: KeyboardEvent) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onOpen(v.visitor_id);
    }
  };
  return (
    <tr
      data-fw="visitor-row"
      data-visitor-id={v.visitor_id}
      className={[selected ? "selected" : "", highlight ? "highlighted" : ""].filter(Boolean).join(" ") || undefined}
      data-highlight={highlight ? "true" : undefined}
      title={highlight ? `Highlighted by the rule “${highlight}”` : undefined}
      aria-selected={selected}
      tabIndex={0}
      onClick={() => onOpen(v.visitor_id)}
      onKeyDown={onKey}
    >
      <td className="visitor-cell">
        <div className="visitor-name" data-fw="visitor-name">
          {visitorName(v.visitor_id, v.contact)}
          <span className={`tag ${v.returning ? "returning" : "new"}`} data-fw="visitor-kind">
            {v.returning ? `returning · visit ${v.visit_count}` : "new"}
          </span>
          <ChatTag visitor={v} chat={chat} onOpenChat={onOpenChat} />
          {v.segment_name && (
            <span className="tag segment" data-fw="visitor-segment" data-segment-id={v.segment_id ?? ""}>
              {v.segment_name}
            </span>
          )}
          {(v.tags ?? []).map((tag) => (
            <span key={tag} className="tag" data-fw="visitor-tag">
              {tag}
            </span>
          ))}
        </div>
        {v.contact?.name && v.contact.email && <div className="sub">{v.contact.email}</div>}
      </td>
      <td data-fw="visitor-location" title={locationLong(v.location) || undefined}>
        {locationText(v.location) || <span className="muted">unknown</span>}
      </td>
      <td className="visitor-page">
        <div className="page-title" title={v.current_url ?? undefined}>
          {v.current_title || path || "—"}
        </div>
        {v.current_title && path && <div className="page-url">{path}</div>}
        {v.section && (
          <span className="tag section" data-fw="visitor-section">
            {v.section}
          </span>
        )}
      </td>
      <td data-fw="time-on-page">{formatDuration(sinceMs(v.page_started_at, now))}</td>
      <td data-fw="time-on-site">{formatDuration(timeOnSiteMs(v, now))}</td>
      <td data-fw="pages-viewed">{v.pages_viewed}</td>
      <td data-fw="visitor-device">
        {device || <span className="muted">—</span>}
        {v.device?.device_class && <div className="sub">{v.device.device_class}</div>}
      </td>
      <td data-fw="visitor-source">
        {arrivedText(v.arrived_via, v.referrer)}
        {campaign && (
          <div className="sub" data-fw="visitor-campaign">
            campaign: {campaign}
          </div>
        )}
      </td>
      <td data-fw="last-activity">{formatDuration(sinceMs(v.last_seen_at, now))} ago</td>
    </tr>
  );
}
