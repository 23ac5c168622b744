import { useEffect, useState } from "react";
import type { ApiClient } from "../../api/client";
import { addNote, conversationNotes, MAX_NOTE_BYTES, noteBytes } from "../../api/contacts";
import { errorText } from "../../lib/admin";
import { formatClock } from "../../lib/time";
import type { ConversationNote, ServerFrame } from "../../types";
import "../history/history.css";

/** Whatever brings the operator socket's frames (the controller's `OperatorSocket`). */
export interface FrameSource {
  on(listener: (event: { type: string; frame?: ServerFrame }) => void): () => void;
}

function merged(notes: ConversationNote[], note: ConversationNote): ConversationNote[] {
  if (notes.some((n) => n.id === note.id)) return notes;
  return [...notes, note].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

/** Internal notes inside a conversation (OPS-5): what operators write for each other, never shown to the visitor.
 * A colleague's note arrives live (`conversation.note`). Text only. */
export function NotesPanel({ api, conversationId, frames }: { api: ApiClient; conversationId: string; frames?: FrameSource }) {
  const [notes, setNotes] = useState<ConversationNote[]>([]);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let stopped = false;
    setNotes([]);
    setError(null);
    conversationNotes(api, conversationId).then(
      (found) => !stopped && setNotes((now) => found.reduce(merged, now)),
      (failure: unknown) => !stopped && setError(errorText(failure)),
    );
    const off = frames?.on((event) => {
      const frame = event.frame;
      if (frame?.type === "conversation.note" && frame.note.conversation_id === conversationId) {
        setNotes((now) => merged(now, frame.note));
      }
    });
    return () => {
      stopped = true;
      off?.();
    };
  }, [api, conversationId, frames]);
  const bytes = noteBytes(text);
  const tooLong = bytes > MAX_NOTE_BYTES;
  const submit = async () => {
    if (!text.trim() || tooLong) return;
    setBusy(true);
    try {
      const note = await addNote(api, conversationId, text);
      setNotes((now) => merged(now, note));
      setText("");
      setError(null);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="chat-aside notes-panel" data-fw="notes-panel" open={notes.length > 0 || undefined}>
      <summary>
        Internal notes{notes.length > 0 && <span className="muted"> · {notes.length}</span>}
      </summary>
      <p className="muted hint">Only operators see notes; the visitor never does.</p>
      <ul data-fw="notes">
        {notes.map((n) => (
          <li key={n.id} className="note" data-fw="note">
            <span className="sender">{n.author_name || "Operator"}</span>{" "}
            <time className="muted" dateTime={n.created_at}>
              {formatClock(n.created_at)}
            </time>
            <p className="text">{n.text}</p>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <textarea
          data-fw="note-input"
          rows={2}
          placeholder="A note for your colleagues…"
          aria-label="Internal note"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" data-fw="note-add" disabled={busy || !text.trim() || tooLong}>
          Add note
        </button>
      </form>
      {tooLong && <p className="field-error">At most {MAX_NOTE_BYTES} bytes.</p>}
      {error && <p className="error">{error}</p>}
    </details>
  );
}
