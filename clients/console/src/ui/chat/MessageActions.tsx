import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { messageHistory, type MessageVersion } from "../../api/messageEdits";
import { formatClock } from "../../lib/time";
import { isRetracted, mayChange, quoteLine } from "../../state/edits";
import type { Message } from "../../types";
import "./edits.css";

/** What a chat needs to edit, retract and quote its messages (CHAT-5). */
export interface MessageEditing {
  api: ApiClient;
  userId: string;
  /** Supervisors and admins: change anyone's operator message, read every version. */
  manager: boolean;
  /** Edit (text) or retract (null); resolves true when it was done. */
  change(messageId: string, text: string | null): Promise<boolean>;
}

/** The quote above a message's text: who wrote the quoted one and how it starts. */
export function MessageQuote({ quoted }: { quoted: Message | undefined }) {
  return (
    <div className="quote" data-fw="quote">
      {quoteLine(quoted)}
    </div>
  );
}

const VERB: Record<MessageVersion["action"], string> = { created: "wrote", edited: "edited", retracted: "deleted" };

/** "edited" under a changed message; for managers, a button that opens its versions (who, when, what). */
function ChangeMarker({ message, editing, conversationId }: Props) {
  const [versions, setVersions] = useState<MessageVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!message.edited_at && !isRetracted(message)) return null;
  const label = isRetracted(message) ? "deleted" : "edited";
  if (!editing?.manager) {
    return (
      <span className="changed muted" data-fw="edited">
        {label}
      </span>
    );
  }
  const toggle = () => {
    if (versions) return setVersions(null);
    messageHistory(editing.api, conversationId, message.id)
      .then(setVersions)
      .catch(() => setError("Could not load the history."));
  };
  return (
    <>
      <button type="button" className="link changed" data-fw="edited" onClick={toggle} title="Show the change history">
        {label}
      </button>
      {error && <span className="muted">{error}</span>}
      {versions && (
        <ol className="versions" data-fw="versions">
          {versions.map((v) => (
            <li key={v.revision} data-fw="version">
              <span className="muted">
                {v.by_name ?? v.by_type} {VERB[v.action]} · {formatClock(v.at)}
              </span>
              {v.action !== "retracted" && <span className="version-text">{v.text}</span>}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

interface Props {
  message: Message;
  conversationId: string;
  editing: MessageEditing | undefined;
  /** Quote this message in the next reply (absent: the chat takes no replies). */
  onReply?: (message: Message) => void;
}

/** A message's marker and actions: Reply, and for its author (or a manager) Edit and Delete. */
export function MessageActions(props: Props) {
  const { message, editing, onReply } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const changeable = !!editing && mayChange(message, editing.userId, editing.manager);
  const change = async (text: string | null) => {
    if (!editing) return;
    setBusy(true);
    const done = await editing.change(message.id, text);
    setBusy(false);
    if (done) setDraft(null);
  };
  if (draft !== null) {
    return (
      <form
        className="message-edit"
        data-fw="message-edit"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.trim()) void change(draft);
        }}
      >
        <textarea
          data-fw="message-edit-input"
          rows={2}
          value={draft}
          aria-label="Edit the message"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => e.key === "Escape" && setDraft(null)}
        />
        <button type="submit" className="primary" data-fw="message-edit-save" disabled={busy || !draft.trim()}>
          Save
        </button>
        <button type="button" onClick={() => setDraft(null)}>
          Cancel
        </button>
      </form>
    );
  }
  return (
    <div className="message-actions">
      <ChangeMarker {...props} />
      {!isRetracted(message) && onReply && (
        <button type="button" className="link" data-fw="message-reply" onClick={() => onReply(message)}>
          Reply
        </button>
      )}
      {changeable && (
        <>
          <button type="button" className="link" data-fw="message-edit-open" onClick={() => setDraft(message.text)}>
            Edit
          </button>
          <button
            type="button"
            className="link"
            data-fw="message-delete"
            disabled={busy}
            onClick={() => {
              if (window.confirm("Delete this message for everyone?")) void change(null);
            }}
          >
            Delete
          </button>
        </>
      )}
    </div>
  );
}
