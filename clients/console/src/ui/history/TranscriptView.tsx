import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { transcript as loadTranscript } from "../../api/contacts";
import { keys } from "../../api/keys";
import { errorText } from "../../lib/admin";
import { formatClock } from "../../lib/time";
import "./history.css";

function who(sender: { sender_type: string; sender_name: string | null }): string {
  if (sender.sender_name) return sender.sender_name;
  return sender.sender_type === "visitor" ? "Visitor" : sender.sender_type === "system" ? "System" : "Operator";
}

/** One conversation to read, never to write in: its messages and its internal notes (OPS-3, OPS-5). Text only. */
export function TranscriptView({ api, conversationId, onClose }: { api: ApiClient; conversationId: string; onClose?: () => void }) {
  const { data: read, error } = useQuery({
    queryKey: keys.transcript(conversationId),
    queryFn: () => loadTranscript(api, conversationId),
  });
  const summary = read?.conversation;
  return (
    <section className="transcript" data-fw="transcript" data-conversation-id={conversationId} aria-label="Transcript">
      <header className="transcript-header">
        <div>
          <h3>{summary?.visitor_name || summary?.visitor_email || "Visitor"}</h3>
          {summary && (
            <p className="muted">
              {formatClock(summary.created_at)}
              {summary.operator_name && <> · with {summary.operator_name}</>} · {summary.state}
            </p>
          )}
        </div>
        {onClose && (
          <button type="button" data-fw="transcript-close" aria-label="Close transcript" onClick={onClose}>
            ×
          </button>
        )}
      </header>
      {error && <p className="error">{errorText(error)}</p>}
      {!read && !error && <p className="muted">Loading…</p>}
      {read && (
        <ol className="transcript-messages">
          {read.messages.map((m) => (
            <li key={m.seq} className={`message from-${m.sender_type}`} data-fw="transcript-message">
              <div className="meta">
                <span className="sender">{who(m)}</span> <time dateTime={m.created_at}>{formatClock(m.created_at)}</time>
              </div>
              <p className="text">{m.text || "(deleted)"}</p>
            </li>
          ))}
          {read.messages.length === 0 && <li className="muted">No messages.</li>}
        </ol>
      )}
      {read && read.notes.length > 0 && (
        <div className="transcript-notes" data-fw="transcript-notes">
          <h4>Internal notes</h4>
          <ul className="plain">
            {read.notes.map((n) => (
              <li key={n.id} className="note">
                <span className="sender">{n.author_name || "Operator"}</span>{" "}
                <time className="muted" dateTime={n.created_at}>
                  {formatClock(n.created_at)}
                </time>
                <p className="text">{n.text}</p>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
