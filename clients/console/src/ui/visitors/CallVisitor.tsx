import { useState } from "react";
import type { InvitationNote } from "../../types";

interface Props {
  /** The latest invitation to this visitor the console heard of. */
  invitation: InvitationNote | undefined;
  /** Calls the visitor; resolves true once the invitation is on its way. */
  onCall: (text: string, autoOpen: boolean) => Promise<boolean>;
}

export const INVITATION_STATE_TEXT: Record<InvitationNote["state"], string> = {
  offered: "Invitation sent…",
  shown: "The visitor sees your invitation.",
  accepted: "The visitor accepted: the chat is open.",
  closed: "The visitor closed the invitation.",
  expired: "The invitation expired unanswered.",
};

/** ENG-2, the operator's call: "Invite to chat" (a bubble with their message) or "Open chat" (the window opens). */
export function CallVisitor({ invitation, onCall }: Props) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const call = async (autoOpen: boolean) => {
    setBusy(true);
    try {
      if (await onCall(text, autoOpen)) setText("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel-section call-visitor" data-fw="call-visitor" aria-label="Call this visitor">
      <label className="call-label">
        Message (optional)
        <textarea
          data-fw="call-text"
          rows={2}
          maxLength={500}
          placeholder="Hello! Can I help you?"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
      </label>
      <div className="call-actions">
        <button type="button" className="primary" data-fw="invite-visitor" disabled={busy} onClick={() => call(false)}>
          Invite to chat
        </button>
        <button type="button" data-fw="open-visitor-chat" disabled={busy} onClick={() => call(true)}>
          Open chat
        </button>
      </div>
      {invitation && (
        <p className="muted" role="status" data-fw="invitation-state" data-state={invitation.state}>
          {INVITATION_STATE_TEXT[invitation.state]}
        </p>
      )}
    </section>
  );
}
