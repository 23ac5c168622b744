import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import type { PendingMessage } from "../realtime/outbox";
import { formatClock, formatDuration } from "../lib/time";
import { waitingMs } from "../state/conversations";
import type { Conversation, Message, Visitor } from "../types";
import { visitorName } from "../lib/visitors";
import { useCannedPicker, type CannedSource } from "./chat/CannedPicker";
import { EmojiPicker } from "./chat/EmojiPicker";
import { MessageActions, MessageQuote, type MessageEditing } from "./chat/MessageActions";
import { insertEmoji, isRetracted, quoteLine, shownText } from "../state/edits";
import { AttachButton, MessageAttachment, type AttachmentsSource } from "./chat/Attachments";
import { ReadTick } from "./chat/Typing";

interface Props {
  conversation: Conversation | undefined;
  messages: Message[];
  pending: PendingMessage[];
  visitor: Visitor | undefined;
  canWrite: boolean;
  now: number;
  onAccept: (id: string) => void;
  onClose: (id: string) => void;
  onSend: (text: string, quoteSeq?: number) => boolean;
  onRetry: (clientMsgId: string) => void;
  onDiscard: (clientMsgId: string) => void;
  /** Opens the visitor's panel: where they are now and their path, following them live. */
  onShowVisitor?: (visitorId: string) => void;
  /** Under the header: who is in the chat, transfer / invite / watch (ui/chat/ChatTeam.tsx). */
  team?: ReactNode;
  /** Canned responses offered in the composer after `/` (ui/chat/CannedPicker.tsx). */
  canned?: CannedSource;
  /** Support materials at hand for the chat (ui/chat/Materials.tsx). */
  materials?: ReactNode;
  /** Edit, retract and quote messages (CHAT-5: ui/chat/MessageActions.tsx). */
  editing?: MessageEditing;
  /** In the header: the visitor's post-chat rating (EMB-10: ui/chat/RatingBadge.tsx). */
  rating?: ReactNode;
  /** Beside the messages: the customer card (CHAT-8: ui/chat/CustomerCard.tsx). */
  card?: ReactNode;
  /** Internal notes, operators only (OPS-5: ui/chat/NotesPanel.tsx). */
  notes?: ReactNode;
  /** Under the messages: the visitor is typing, with their draft (CHAT-4: ui/chat/Typing.tsx). */
  typing?: ReactNode;
  /** The visitor saw the messages up to this seq (EMB-8): the operators' messages up to it are marked read. */
  visitorReadSeq?: number;
  /** The composer's text changed (the typing signal to the visitor). */
  onTyped?: (text: string) => void;
  /** Files shown in messages and sent from the composer (CHAT-10: ui/chat/Attachments.tsx). */
  attachments?: AttachmentsSource;
}

/** What the outbox says of a message: sending, sent again after a refusal that passes, or failed. */
export function pendingNote(p: PendingMessage): string {
  if (p.status === "failed") return `not sent: ${p.error?.message ?? "error"}`;
  if (p.retrying?.code === "rate_limited") return "sending too fast, trying again shortly…";
  if (p.retrying) return "the server is unavailable, trying again…";
  return "sending…";
}

function senderLabel(message: Message): string {
  if (message.sender_name) return message.sender_name;
  if (message.sender_type === "visitor") return "Visitor";
  if (message.sender_type === "system") return "System";
  return "Operator";
}

export function ChatView(props: Props) {
  const { conversation, messages, pending, visitor, canWrite, now } = props;
  const listRef = useRef<HTMLOListElement>(null);
  const [busy, setBusy] = useState(false);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const count = messages.length + pending.length;
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  useEffect(() => setReplyTo(null), [conversation?.id]);

  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [count, conversation?.id]);

  if (!conversation) {
    return (
      <section className="chat chat-empty" data-fw="chat">
        <p className="muted">Pick a conversation on the left.</p>
      </section>
    );
  }

  const run = async (action: (id: string) => unknown) => {
    setBusy(true);
    try {
      await action(conversation.id);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="chat" data-fw="chat" data-conversation-id={conversation.id} data-state={conversation.state}>
      <header className="chat-header">
        <div>
          <h2>{visitorName(conversation.visitor_id, visitor?.contact)}</h2>
          <p className="muted">
            {conversation.state === "waiting" && <>Waiting {formatDuration(waitingMs(conversation, now))} · </>}
            {conversation.state === "active" && <>With {conversation.assigned_user_name ?? "an operator"} · </>}
            {conversation.state === "closed" && <>Closed · </>}
            started {formatClock(conversation.created_at)}
            {visitor?.current_title && <> · on “{visitor.current_title}”</>}
          </p>
          {props.rating}
        </div>
        <div className="chat-actions">
          {props.onShowVisitor && (
            <button
              type="button"
              data-fw="chat-visitor"
              title="Where the visitor is now, and their path"
              onClick={() => props.onShowVisitor?.(conversation.visitor_id)}
            >
              Visitor
            </button>
          )}
          {conversation.state === "waiting" && (
            <button
              type="button"
              className="primary"
              data-fw="accept"
              disabled={busy}
              onClick={() => run(props.onAccept)}
            >
              Accept
            </button>
          )}
          {conversation.state !== "closed" && (
            <button type="button" data-fw="close-conversation" disabled={busy} onClick={() => run(props.onClose)}>
              Close
            </button>
          )}
        </div>
      </header>
      {props.team}
      {props.materials}
      {props.card}
      {props.notes}
      <ol className="messages" ref={listRef} aria-live="polite">
        {messages.map((m) => (
          <li
            key={m.id}
            className={`message from-${m.sender_type}${isRetracted(m) ? " retracted" : ""}`}
            data-fw="message"
            data-sender={m.sender_type}
            data-seq={m.seq}
            data-retracted={isRetracted(m) || undefined}
          >
            <div className="meta">
              <span className="sender">{senderLabel(m)}</span>
              <time dateTime={m.created_at}>{formatClock(m.created_at)}</time>
            </div>
            {m.quote_seq ? <MessageQuote quoted={bySeq.get(m.quote_seq)} /> : null}
            {m.attachment && !isRetracted(m) && props.attachments ? (
              <MessageAttachment api={props.attachments.api} message={m} />
            ) : (
              <p className="text">{shownText(m)}</p>
            )}
            {m.sender_type === "operator" && <ReadTick read={m.seq <= (props.visitorReadSeq ?? 0)} />}
            <MessageActions
              message={m}
              conversationId={conversation.id}
              editing={props.editing}
              onReply={canWrite ? setReplyTo : undefined}
            />
          </li>
        ))}
        {pending.map((p) => (
          <li
            key={p.client_msg_id}
            className={`message from-operator pending ${p.status}${p.retrying ? " retrying" : ""}`}
            data-fw="message"
            data-sender="operator"
            data-status={p.status}
            data-error={(p.status === "failed" ? p.error?.code : p.retrying?.code) ?? undefined}
          >
            <div className="meta">
              <span className="sender">You</span>
              <span data-fw="pending-note">{pendingNote(p)}</span>
            </div>
            <p className="text">{p.text}</p>
            {p.status === "failed" && (
              <div className="pending-actions">
                <button type="button" onClick={() => props.onRetry(p.client_msg_id)}>
                  Retry
                </button>
                <button type="button" onClick={() => props.onDiscard(p.client_msg_id)}>
                  Discard
                </button>
              </div>
            )}
          </li>
        ))}
        {count === 0 && <li className="empty">No messages yet.</li>}
      </ol>
      {props.typing}
      {canWrite ? (
        <Composer
          onSend={(text) => {
            const sent = replyTo ? props.onSend(text, replyTo.seq) : props.onSend(text);
            if (sent) setReplyTo(null);
            return sent;
          }}
          canned={props.canned}
          onTyped={props.onTyped}
          replyTo={replyTo}
          onCancelReply={() => setReplyTo(null)}
          attach={props.attachments && <AttachButton source={props.attachments} conversationId={conversation.id} />}
        />
      ) : (
        <p className="chat-footer muted">
          {conversation.state === "waiting" && "Accept the conversation to reply."}
          {conversation.state === "active" &&
            `${conversation.assigned_user_name ?? "Another operator"} handles this chat.`}
          {conversation.state === "closed" && "This conversation is closed."}
        </p>
      )}
    </section>
  );
}

interface ComposerProps {
  onSend: (text: string) => boolean;
  canned?: CannedSource;
  /** The message the reply quotes (CHAT-5), shown above the input until sent or cancelled. */
  replyTo?: Message | null;
  onCancelReply?: () => void;
  onTyped?: (text: string) => void;
  /** The paper-clip (CHAT-10). */
  attach?: ReactNode;
}

function Composer({ onSend, canned, replyTo, onCancelReply, onTyped, attach }: ComposerProps) {
  const [text, setText] = useState("");
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const pickEmoji = (emoji: string) => {
    const input = inputRef.current;
    const next = insertEmoji(text, input?.selectionStart ?? text.length, input?.selectionEnd ?? text.length, emoji);
    setText(next.text);
    requestAnimationFrame(() => {
      input?.focus();
      input?.setSelectionRange(next.caret, next.caret);
    });
  };
  const submit = () => {
    if (onSend(text)) setText("");
  };
  const picker = useCannedPicker(canned, text, setText);
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (picker.onKeyDown(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };
  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      {picker.element}
      {replyTo && (
        <div className="replying" data-fw="replying">
          <span>Replying to {quoteLine(replyTo)}</span>
          <button type="button" data-fw="cancel-reply" aria-label="Cancel reply" onClick={onCancelReply}>
            ×
          </button>
        </div>
      )}
      <EmojiPicker onPick={pickEmoji} />
      {attach}
      <textarea
        ref={inputRef}
        data-fw="chat-input"
        rows={2}
        placeholder="Write a reply… (Enter sends, Shift+Enter for a new line)"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onTyped?.(e.target.value);
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" data-fw="chat-send" disabled={!text.trim()}>
        Send
      </button>
    </form>
  );
}
