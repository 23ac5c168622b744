import { useEffect, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import type { TransferTarget } from "../../api/conversationTeam";
import { listQueues } from "../../api/queues";
import type { Outcome, TeamController } from "../../app/team";
import { operatorsByState } from "../../lib/board";
import type { Conversation } from "../../types";
import { useTeamState } from "../queues/useTeam";

export const MAX_NOTE = 1000;

interface Props {
  api: ApiClient;
  team: TeamController;
  conversation: Conversation;
  userId: string;
  /** Transfer the chat (to an operator or a queue), or invite a colleague into it. */
  mode: "transfer" | "invite";
  onDone: () => void;
  onCancel: () => void;
}

/** Hand a chat over (CHAT-6): a colleague or a queue, with a note the colleague reads. */
export function TransferDialog({ api, team, conversation, userId, mode, onDone, onCancel }: Props) {
  const state = useTeamState(team);
  const queues = useQuery({ queryKey: keys.queues, queryFn: () => listQueues(api) }).data ?? [];
  const [target, setTarget] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    void team.loadColleagues(); // every operator may list them (no contact details); frames keep them live
  }, [team]);
  const queueNames = (ids: string[] | undefined) =>
    (ids ?? [])
      .map((id) => queues.find((q) => q.id === id)?.name)
      .filter(Boolean)
      .join(", ");

  const inChat = new Set([
    conversation.assigned_user_id,
    ...(conversation.participants ?? []).filter((p) => p.role !== "watching").map((p) => p.user_id),
  ]);
  const colleagues = operatorsByState(state.presence).filter((p) => p.user_id !== userId && !inChat.has(p.user_id));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!target) return setError(mode === "transfer" ? "Choose a colleague or a queue." : "Choose a colleague.");
    if (note.length > MAX_NOTE) return setError(`A note has at most ${MAX_NOTE} characters.`);
    setError(null);
    setSending(true);
    const [kind, id] = [target.slice(0, 2), target.slice(2)];
    let outcome: Outcome;
    if (mode === "invite") outcome = await team.invite(conversation.id, id, note);
    else {
      const to: TransferTarget = kind === "q:" ? { to_queue_id: id } : { to_operator_id: id };
      outcome = await team.transfer(conversation.id, to, note);
    }
    setSending(false);
    if (outcome.ok) onDone();
    else setError(outcome.error);
  };

  const title = mode === "transfer" ? "Transfer this chat" : "Invite a colleague";
  return (
    <form className="team-dialog" data-fw={`${mode}-dialog`} role="dialog" aria-label={title} onSubmit={submit}>
      <h3>{title}</h3>
      <label className="field">
        <span className="field-label">{mode === "transfer" ? "To" : "Colleague"}</span>
        <select data-fw="team-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">Choose…</option>
          {colleagues.length > 0 && (
            <optgroup label="Operators">
              {colleagues.map((p) => (
                <option key={p.user_id} value={`o:${p.user_id}`}>
                  {p.name ?? p.user_id} — {p.status}, {p.active_chats}/{p.max_chats} chats
                  {queueNames(p.queue_ids) ? ` · ${queueNames(p.queue_ids)}` : ""}
                </option>
              ))}
            </optgroup>
          )}
          {mode === "transfer" && queues.length > 0 && (
            <optgroup label="Queues">
              {queues.map((q) => (
                <option key={q.id} value={`q:${q.id}`}>
                  {q.name}
                  {q.open_now ? "" : " (closed)"}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      {colleagues.length === 0 && (
        <p className="muted hint" data-fw="no-colleagues">
          No colleague is known to be around yet{mode === "transfer" ? ": a queue is the way" : ""}.
        </p>
      )}
      <label className="field">
        <span className="field-label">Note for the colleague (the visitor does not see it)</span>
        <textarea
          data-fw="team-note"
          rows={3}
          maxLength={MAX_NOTE}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
      </label>
      {error && (
        <p className="field-error" role="alert" data-fw="team-error">
          {error}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" className="primary" data-fw="team-submit" disabled={sending}>
          {mode === "transfer" ? "Transfer" : "Invite"}
        </button>
        <button type="button" data-fw="team-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
