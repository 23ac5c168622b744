import type { ReactNode } from "react";
import { formatDuration } from "../lib/time";
import { waitingMs } from "../state/conversations";
import { visitorName } from "../lib/visitors";
import { waitClass, waitLevel } from "../lib/waiting";
import type { Conversation, Message, Visitor } from "../types";
import { previewText, timesLine } from "../lib/preview";

interface Props {
  waiting: Conversation[];
  active: Conversation[];
  visitors: Readonly<Record<string, Visitor>>;
  unread: Readonly<Record<string, number>>;
  selectedId: string | null;
  now: number;
  onSelect: (id: string) => void;
  /** The operator using the console: a chat offered to them says so. */
  userId?: string;
  /** Above the lists: the queues with their waiting times (ui/queues/QueueList.tsx). */
  queues?: ReactNode;
  /** Queue names by id: a waiting chat says which queue it waits in. */
  queueNames?: Readonly<Record<string, string>>;
  /** The last message of each conversation the console holds (lib/preview.ts): previewed under the name. */
  lastMessages?: Readonly<Record<string, Message>>;
}

/** Who a waiting chat is offered to now (routing), as the operator reads it. */
export function offerNote(conversation: Conversation, userId: string | undefined): string | null {
  if (!conversation.offered_user_id) return null;
  return conversation.offered_user_id === userId ? "offered to you" : "offered to a colleague";
}

export function ConversationLists(props: Props) {
  const { waiting, active, visitors, unread, selectedId, now, onSelect, userId, queues, queueNames } = props;
  const { lastMessages } = props;
  return (
    <nav className="lists" aria-label="Conversations">
      {queues}
      <section>
        <h2>
          Waiting <span className="count">{waiting.length}</span>
        </h2>
        <ul data-fw="waiting-list" className="conversation-list">
          {waiting.map((c) => (
            <Item
              key={c.id}
              conversation={c}
              visitor={visitors[c.visitor_id]}
              unread={unread[c.id] ?? 0}
              selected={c.id === selectedId}
              onSelect={onSelect}
              extraClass={waitClass(waitLevel(c, now))}
              lastMessage={lastMessages?.[c.id]}
              detail={
                <>
                  <span className="waited">waiting {formatDuration(waitingMs(c, now))}</span>
                  {c.queue_id && queueNames?.[c.queue_id] && (
                    <span data-fw="waiting-queue" className="muted">
                      {" · "}
                      {queueNames[c.queue_id]}
                    </span>
                  )}
                  {c.visitor_left_at && (
                    <span data-fw="visitor-left" className="visitor-left">
                      {" · "}visitor left
                    </span>
                  )}
                  {offerNote(c, userId) && (
                    <span data-fw="offer" className={c.offered_user_id === userId ? "offer mine" : "offer"}>
                      {" · "}
                      {offerNote(c, userId)}
                    </span>
                  )}
                </>
              }
            />
          ))}
          {waiting.length === 0 && <li className="empty">Nobody is waiting.</li>}
        </ul>
      </section>
      <section>
        <h2>
          My active <span className="count">{active.length}</span>
        </h2>
        <ul data-fw="active-list" className="conversation-list">
          {active.map((c) => (
            <Item
              key={c.id}
              conversation={c}
              visitor={visitors[c.visitor_id]}
              unread={unread[c.id] ?? 0}
              selected={c.id === selectedId}
              onSelect={onSelect}
              lastMessage={lastMessages?.[c.id]}
              detail={
                <span className="muted" data-fw="item-times">
                  {c.last_message_at
                    ? timesLine(c.last_message_at, visitors[c.visitor_id]?.last_seen_at)
                    : "no messages yet"}
                </span>
              }
            />
          ))}
          {active.length === 0 && <li className="empty">No active chats.</li>}
        </ul>
      </section>
    </nav>
  );
}

interface ItemProps {
  conversation: Conversation;
  visitor: Visitor | undefined;
  unread: number;
  selected: boolean;
  detail: ReactNode;
  onSelect: (id: string) => void;
  /** The waiting time's colour (lib/waiting.ts). */
  extraClass?: string;
  lastMessage?: Message;
}

function Item({ conversation, visitor, unread, selected, detail, onSelect, extraClass, lastMessage }: ItemProps) {
  const classes = [
    "conversation-item",
    conversation.state === "waiting" ? "unanswered" : "",
    extraClass ?? "",
    selected ? "selected" : "",
  ];
  return (
    <li>
      <button
        type="button"
        className={classes.filter(Boolean).join(" ")}
        data-fw="conversation-item"
        data-conversation-id={conversation.id}
        data-state={conversation.state}
        data-wait={extraClass ? extraClass.replace("wait-", "") : undefined}
        aria-current={selected ? "true" : undefined}
        onClick={() => onSelect(conversation.id)}
      >
        <span className="item-title">
          {visitorName(conversation.visitor_id, visitor?.contact)}
          {unread > 0 && (
            <span className="badge" aria-label={`${unread} unread`}>
              {unread}
            </span>
          )}
        </span>
        {visitor?.current_title && <span className="item-page">{visitor.current_title}</span>}
        {lastMessage && (
          <span className="item-preview" data-fw="item-preview" title={lastMessage.text ?? ""}>
            {lastMessage.sender_type === "visitor" ? "" : `${lastMessage.sender_name ?? "Operator"}: `}
            {previewText(lastMessage.text)}
          </span>
        )}
        {detail}
        {conversation.state === "waiting" && (conversation.last_message_at || visitor?.last_seen_at) && (
          <span className="muted item-times" data-fw="item-times">
            {timesLine(conversation.last_message_at, visitor?.last_seen_at)}
          </span>
        )}
      </button>
    </li>
  );
}
