import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { contactCard } from "../../api/contacts";
import { keys } from "../../api/keys";
import { errorText } from "../../lib/admin";
import { formatClock } from "../../lib/time";
import type { Conversation } from "../../types";
import { TranscriptView } from "../history/TranscriptView";
import "../history/history.css";

/** The customer card beside a chat (CHAT-8): who the visitor is (the site's identification, or what they typed in
 * the pre-chat form: not verified), their answer to the form's question, and their earlier conversations, each
 * opened here to read. Text only. */
export function CustomerCard({ api, conversation }: { api: ApiClient; conversation: Conversation }) {
  const { data: card, error } = useQuery({
    queryKey: keys.contactCard(conversation.id),
    queryFn: () => contactCard(api, conversation.id),
  });
  const [reading, setReading] = useState<string | null>(null);
  useEffect(() => setReading(null), [conversation.id]);
  const contact = card?.contact;
  const earlier = card?.earlier ?? [];
  const known = !!(contact || card?.prechat || earlier.length > 0);
  return (
    // open when there is something to see (a visitor nobody knows yet takes one line, not the messages' room)
    <details className="chat-aside customer-card" data-fw="customer-card" open={known || undefined}>
      <summary>
        Customer{contact?.name ? `: ${contact.name}` : ""}
        {earlier.length > 0 && <span className="muted"> · {earlier.length} earlier</span>}
      </summary>
      {error && <p className="error">{errorText(error)}</p>}
      {card && !contact && <p className="muted" data-fw="card-unknown">Not known yet: no email or phone given.</p>}
      {contact && (
        <dl data-fw="card-contact">
          {contact.name && (
            <>
              <dt>Name</dt>
              <dd data-fw="card-name">{contact.name}</dd>
            </>
          )}
          {contact.email && (
            <>
              <dt>Email</dt>
              <dd data-fw="card-email">{contact.email}</dd>
            </>
          )}
          {contact.phone && (
            <>
              <dt>Phone</dt>
              <dd data-fw="card-phone">{contact.phone}</dd>
            </>
          )}
          <dt>Known</dt>
          <dd className="muted">
            {contact.verified
              ? "identified by the site"
              : contact.linked_by === "site"
                ? "named by the site, unsigned: not verified"
                : "typed by the visitor, not verified"}{" "}
            · since{" "}
            {formatClock(contact.created_at)}
          </dd>
        </dl>
      )}
      {card?.prechat && (
        <dl data-fw="card-prechat">
          <dt>{card.prechat.question || "Asked"}</dt>
          <dd>{card.prechat.answer}</dd>
        </dl>
      )}
      {earlier.length > 0 && (
        <ul data-fw="card-earlier">
          {earlier.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                data-fw="card-earlier-chat"
                data-conversation-id={c.id}
                aria-pressed={reading === c.id}
                onClick={() => setReading(reading === c.id ? null : c.id)}
              >
                {formatClock(c.created_at)} · {c.state}
                {c.operator_name && <> · {c.operator_name}</>}
                {c.first_line && <span className="first-line">{c.first_line}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {card && earlier.length === 0 && <p className="muted">No earlier conversations.</p>}
      {reading && <TranscriptView api={api} conversationId={reading} onClose={() => setReading(null)} />}
    </details>
  );
}
