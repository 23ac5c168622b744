import { useState, type FormEvent } from "react";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import {
  closeTicket,
  getTicket,
  listTickets,
  replyToTicket,
  TICKET_STATES,
  type TicketDetail,
  type TicketState,
} from "../../api/tickets";
import { errorText } from "../../lib/admin";
import { loadError } from "../hooks";

const STATE_NAMES: Record<TicketState, string> = { open: "Open", answered: "Answered", closed: "Closed" };
const EMAIL_STATUS = { queued: "email queued", sent: "emailed" };

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

/** Tickets (OFF-1..3): offline messages and chats sent as tickets, by state; open one, answer it by email, close
 * it. Texts are shown as text, never as HTML. */
export function TicketsScreen({ api }: { api: ApiClient }) {
  const [state, setState] = useState<TicketState>("open");
  const cache = useQueryClient();
  const listed = useQuery({
    queryKey: keys.tickets(state),
    queryFn: () => listTickets(api, state),
    placeholderData: keepPreviousData, // the last state's list stays until this one is read
  });
  const list = listed.data;
  const [shown, setShown] = useState<TicketDetail | null>(null);
  const [reply, setReply] = useState("");
  const [failure, setError] = useState<string | null>(null);
  const error = failure ?? loadError("the tickets", listed.error);
  const [busy, setBusy] = useState(false);
  const reload = () => cache.invalidateQueries({ queryKey: keys.tickets() }); // a ticket may change state

  const open = async (id: string) => {
    setError(null);
    try {
      setShown(await getTicket(api, id));
      setReply("");
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const act = async (work: () => Promise<unknown>) => {
    if (!shown) return;
    setBusy(true);
    setError(null);
    try {
      await work();
      setShown(await getTicket(api, shown.id));
      await reload();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  const send = (event: FormEvent) => {
    event.preventDefault();
    const text = reply.trim();
    if (!text || !shown) return;
    void act(async () => {
      await replyToTicket(api, shown.id, text);
      setReply("");
    });
  };

  return (
    <main className="settings admin tickets" data-fw="tickets" aria-label="Tickets">
      <header className="settings-header">
        <h1>Tickets</h1>
        <nav className="tabs" aria-label="Ticket states">
          {TICKET_STATES.map((name) => (
            <button
              key={name}
              type="button"
              data-fw={`tickets-${name}`}
              aria-pressed={state === name}
              className={state === name ? "tab current" : "tab"}
              onClick={() => setState(name)}
            >
              {STATE_NAMES[name]}
            </button>
          ))}
        </nav>
      </header>
      {error && (
        <p className="error" role="alert" data-fw="tickets-error">
          {error}
        </p>
      )}
      {!list ? (
        <p className="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted" data-fw="tickets-empty">
          No {STATE_NAMES[state].toLowerCase()} tickets.
        </p>
      ) : (
        <ul className="ticket-list" data-fw="ticket-list">
          {list.map((ticket) => (
            <li key={ticket.id}>
              <button type="button" data-fw="ticket" data-id={ticket.id} onClick={() => void open(ticket.id)}>
                <strong>{ticket.subject}</strong> <span className="muted">{ticket.name || ticket.email}</span>{" "}
                <span className="muted">{when(ticket.updated_at)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {shown && (
        <section className="ticket" data-fw="ticket-detail" aria-label={shown.subject}>
          <h2>{shown.subject}</h2>
          <p className="muted">
            {shown.name ? `${shown.name} · ` : ""}
            {shown.email} · {STATE_NAMES[shown.state]}
          </p>
          {!shown.email_enabled && (
            <p className="notice" data-fw="ticket-mail-disabled">
              Email is not configured (SMTP_HOST): replies stay queued until it is.
            </p>
          )}
          <ol className="ticket-messages">
            {shown.messages.map((m) => (
              <li key={m.id} data-fw="ticket-message" data-sender={m.sender_type}>
                <span className="muted">
                  {m.sender_name || (m.sender_type === "visitor" ? "Visitor" : "Operator")} · {when(m.created_at)}
                  {m.email_status ? ` · ${EMAIL_STATUS[m.email_status]}` : ""}
                </span>
                <div className="ticket-text">{m.text}</div>
              </li>
            ))}
          </ol>
          <form onSubmit={send} data-fw="ticket-reply-form">
            <textarea
              data-fw="ticket-reply"
              aria-label="Reply by email"
              value={reply}
              maxLength={4000}
              onChange={(event) => setReply(event.target.value)}
            />
            <button type="submit" className="primary" data-fw="ticket-send" disabled={busy || !reply.trim()}>
              Send by email
            </button>
            {shown.state !== "closed" && (
              <button
                type="button"
                data-fw="ticket-close"
                disabled={busy}
                onClick={() => void act(() => closeTicket(api, shown.id))}
              >
                Close ticket
              </button>
            )}
          </form>
        </section>
      )}
    </main>
  );
}
