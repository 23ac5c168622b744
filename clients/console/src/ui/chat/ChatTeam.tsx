import { useState } from "react";
import type { ApiClient } from "../../api/client";
import type { TeamController } from "../../app/team";
import { hasRole } from "../../lib/board";
import type { Conversation, Role } from "../../types";
import { useTeamState } from "../queues/useTeam";
import "../team.css";
import { TransferDialog } from "./TransferDialog";

interface Props {
  api: ApiClient;
  team: TeamController;
  conversation: Conversation;
  userId: string;
  role: Role | undefined;
}

const HANDOVER_TEXT = {
  transferred: "transferred this chat to you",
  invited: "invited you",
  queued: "sent this chat back to the queue",
} as const;

/** Under the chat's header: who is in it, the note of a colleague who handed it over, transfer / invite / watch. */
export function ChatTeam({ api, team, conversation, userId, role }: Props) {
  const state = useTeamState(team);
  const [dialog, setDialog] = useState<"transfer" | "invite" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const handover = state.handovers[conversation.id];
  const staff = role === "supervisor" || role === "admin";
  const mine = hasRole(conversation, userId, ["assigned", "invited"]);
  const watching = hasRole(conversation, userId, ["watching"]);
  const invited = hasRole(conversation, userId, ["invited"]) && conversation.assigned_user_id !== userId;
  const live = conversation.state !== "closed";
  const canHandOver = live && (mine || staff);
  const others = (conversation.participants ?? []).filter((p) => p.user_id !== userId);
  const nameOf = (id: string | null) =>
    (id && (state.presence[id]?.name ?? conversation.participants?.find((p) => p.user_id === id)?.name)) ||
    "A colleague";

  const run = async (call: () => Promise<{ ok: boolean; error?: string }>) => {
    setError(null);
    const outcome = await call();
    if (!outcome.ok) setError(outcome.error ?? "Something went wrong.");
  };

  if (!handover && others.length === 0 && !canHandOver && !watching) return null;
  return (
    <div className="chat-team" data-fw="chat-team">
      {handover && (
        <div className="handover" role="status" data-fw="handover-note" data-kind={handover.kind}>
          <strong>
            {handover.fromName || nameOf(handover.fromUserId)}{" "}
            {HANDOVER_TEXT[handover.kind]}
          </strong>
          {handover.note ? <>: “{handover.note}”</> : "."}
          <button type="button" aria-label="Dismiss" onClick={() => team.dismissHandover(conversation.id)}>
            ×
          </button>
        </div>
      )}
      <div className="chat-team-row">
        {others.length > 0 && (
          <span className="participants" data-fw="participants">
            {others.map((p) => (
              <span key={p.user_id} className={`tag participant ${p.role}`} data-fw="participant" data-role={p.role}>
                {p.name ?? "someone"} · {p.role}
              </span>
            ))}
          </span>
        )}
        {watching && <span className="tag participant watching">you are watching</span>}
        <span className="spacer" />
        {canHandOver && conversation.state === "active" && (
          <>
            <button type="button" data-fw="chat-transfer" onClick={() => setDialog("transfer")}>
              Transfer…
            </button>
            <button type="button" data-fw="chat-invite" onClick={() => setDialog("invite")}>
              Invite…
            </button>
          </>
        )}
        {canHandOver && conversation.state === "waiting" && staff && (
          <button type="button" data-fw="chat-transfer" onClick={() => setDialog("transfer")}>
            Transfer…
          </button>
        )}
        {invited && live && (
          <button
            type="button"
            data-fw="chat-leave"
            onClick={() => void run(() => team.leave(conversation.id, userId))}
          >
            Leave
          </button>
        )}
        {watching && live && (
          <>
            {staff && (
              <button type="button" data-fw="chat-join" onClick={() => void run(() => team.join(conversation.id))}>
                Join
              </button>
            )}
            <button type="button" data-fw="chat-unwatch" onClick={() => void run(() => team.unwatch(conversation.id))}>
              Stop watching
            </button>
          </>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert" data-fw="chat-team-error">
          {error}
        </p>
      )}
      {dialog && (
        <TransferDialog
          key={dialog}
          api={api}
          team={team}
          conversation={conversation}
          userId={userId}
          mode={dialog}
          onDone={() => setDialog(null)}
          onCancel={() => setDialog(null)}
        />
      )}
    </div>
  );
}
