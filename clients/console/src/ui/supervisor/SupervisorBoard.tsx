import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { PRESENCE_STATUSES, type Presence, type PresenceStatus } from "../../api/presence";
import { listQueues, setOperatorCapacity, setOperatorPresence } from "../../api/queues";
import type { TeamController } from "../../app/team";
import { errorText } from "../../lib/admin";
import { hasRole, liveChats, loadOf, localSummary, operatorsByState } from "../../lib/board";
import { formatClock, formatDuration } from "../../lib/time";
import { visitorName } from "../../lib/visitors";
import { waitClass, waitLevel } from "../../lib/waiting";
import { waitingMs } from "../../state/conversations";
import { tickedSummary } from "../../state/team";
import type { Conversation, Visitor } from "../../types";
import { QueueRow } from "../queues/QueueList";
import { useQueueSummary, useTeamState } from "../queues/useTeam";
import "../team.css";

interface Props {
  api: ApiClient;
  team: TeamController;
  userId: string;
  conversations: Readonly<Record<string, Conversation>>;
  visitors: Readonly<Record<string, Visitor>>;
  now: number;
  /** Opens a chat in the live view. */
  onOpen: (conversationId: string) => void;
}

const STATUS_NAMES: Record<PresenceStatus, string> = {
  online: "Online",
  away: "Away",
  break: "On a break",
  phone: "On the phone",
  offline: "Offline",
};

/** Supervisors and admins (OPS-7): queues, operators' states and loads, every live chat to watch or join. */
export function SupervisorBoard({ api, team, userId, conversations, visitors, now, onOpen }: Props) {
  const state = useTeamState(team);
  const summaryAvailable = useQueueSummary(team);
  const queues = useQuery({ queryKey: keys.queues, queryFn: () => listQueues(api) }).data;
  const [presenceError, setPresenceError] = useState<string | null>(null);
  const [chatError, setChatError] = useState<{ id: string; message: string } | null>(null);

  useEffect(() => {
    let live = true;
    void team.loadPresence().then((error) => live && setPresenceError(error));
    return () => {
      live = false;
    };
  }, [team]);

  const all = useMemo(() => Object.values(conversations), [conversations]);
  const chats = useMemo(() => liveChats(all), [all]);
  const queueRows =
    (summaryAvailable && tickedSummary(state.summary, now)) ||
    (queues ? localSummary(queues, all, state.presence, now) : []);
  const queueName = (id: string | null | undefined) =>
    (id && (queues?.find((q) => q.id === id)?.name ?? queueRows.find((q) => q.queue_id === id)?.name)) || null;
  const operators = operatorsByState(state.presence);

  const act = async (id: string, action: (id: string) => Promise<{ ok: boolean; error?: string }>) => {
    setChatError(null);
    const outcome = await action(id);
    if (!outcome.ok) setChatError({ id, message: outcome.error ?? "Something went wrong." });
    else onOpen(id);
  };

  return (
    <main className="board" data-fw="supervisor-board" aria-label="Supervisor board">
      <section className="board-queues" aria-label="Queues">
        <h2>Queues</h2>
        {queueRows.length === 0 ? (
          <p className="empty">No department: every operator gets every chat.</p>
        ) : (
          <ul className="queue-list" data-fw="board-queues">
            {queueRows.map((q) => (
              <QueueRow key={q.queue_id} queue={q} />
            ))}
          </ul>
        )}
      </section>
      <section className="board-operators" aria-label="Operators">
        <h2>
          Operators <span className="count">{operators.filter((o) => o.status === "online").length} online</span>
        </h2>
        {presenceError && (
          <p className="error" role="alert" data-fw="board-presence-error">
            Could not load the operators: {presenceError}
          </p>
        )}
        <DefaultCapacity team={team} value={state.defaultMaxChats} />
        <table className="team" data-fw="board-operators">
          <thead>
            <tr>
              <th>Operator</th>
              <th>Status</th>
              <th>Chats</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {operators.map((p) => (
              <OperatorRow key={p.user_id} api={api} team={team} presence={p} now={now} />
            ))}
          </tbody>
        </table>
      </section>
      <section className="board-chats" aria-label="Live chats">
        <h2>
          Live chats <span className="count">{chats.length}</span>
        </h2>
        <table className="team" data-fw="board-chats">
          <thead>
            <tr>
              <th>Visitor</th>
              <th>Queue</th>
              <th>State</th>
              <th>Last message</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {chats.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  No live chat.
                </td>
              </tr>
            )}
            {chats.map((c) => {
              const level = waitLevel(c, now);
              const watching = hasRole(c, userId, ["watching"]);
              const inside = hasRole(c, userId, ["assigned", "invited"]);
              return (
                <tr
                  key={c.id}
                  className={waitClass(level)}
                  data-fw="board-chat"
                  data-conversation-id={c.id}
                  data-state={c.state}
                  data-wait={level}
                >
                  <td>{visitorName(c.visitor_id, visitors[c.visitor_id]?.contact)}</td>
                  <td>{queueName(c.queue_id) ?? <span className="muted">—</span>}</td>
                  <td>
                    {c.state === "waiting" ? (
                      <span className="waited">
                        {c.visitor_left_at ? "visitor left · " : ""}waiting {formatDuration(waitingMs(c, now))}
                      </span>
                    ) : (
                      <>with {c.assigned_user_name ?? "an operator"}</>
                    )}
                    {(c.participants ?? []).some((p) => p.role !== "assigned") && (
                      <div className="sub muted">
                        {(c.participants ?? [])
                          .filter((p) => p.role !== "assigned")
                          .map((p) => `${p.name ?? "someone"} (${p.role})`)
                          .join(", ")}
                      </div>
                    )}
                  </td>
                  <td>{c.last_message_at ? formatClock(c.last_message_at) : <span className="muted">—</span>}</td>
                  <td className="member-actions">
                    {inside || watching ? (
                      <button type="button" data-fw="board-open" onClick={() => onOpen(c.id)}>
                        Open
                      </button>
                    ) : (
                      <>
                        <button
                          type="button"
                          data-fw="board-watch"
                          onClick={() => void act(c.id, (id) => team.watch(id))}
                        >
                          Watch
                        </button>
                        <button
                          type="button"
                          data-fw="board-join"
                          onClick={() => void act(c.id, (id) => team.join(id))}
                        >
                          Join
                        </button>
                      </>
                    )}
                    {chatError?.id === c.id && (
                      <p className="field-error" role="alert" data-fw="board-chat-error">
                        {chatError.message}
                      </p>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </main>
  );
}

/** The account's default maximum of chats per operator (an operator's own maximum overrides it). */
function DefaultCapacity({ team, value }: { team: TeamController; value: number | null }) {
  const [text, setText] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  if (value === null) return null;
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = Number(text.trim());
    if (!/^\d+$/.test(text.trim()) || wanted < 1 || wanted > 100) {
      return setMessage({ ok: false, text: "A whole number from 1 to 100." });
    }
    const error = await team.setDefaultMaxChats(wanted);
    setMessage(error ? { ok: false, text: error } : { ok: true, text: "Saved." });
    if (!error) setText("");
  };
  return (
    <form className="settings-row default-capacity" data-fw="board-default-capacity" onSubmit={save}>
      <label>
        Chats per operator by default: <strong data-fw="board-default-value">{value}</strong>{" "}
        <input
          className="narrow-number"
          data-fw="board-default-input"
          aria-label="New default of chats per operator"
          placeholder={String(value)}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <button type="submit" data-fw="board-default-save" disabled={!text.trim()}>
        Set
      </button>
      {message && (
        <span className={message.ok ? "ok" : "field-error"} role={message.ok ? "status" : "alert"}>
          {message.text}
        </span>
      )}
    </form>
  );
}

interface OperatorRowProps {
  api: ApiClient;
  team: TeamController;
  presence: Presence;
  now: number;
}

function OperatorRow({ api, team, presence: p, now }: OperatorRowProps) {
  const [error, setError] = useState<string | null>(null);
  const [capacity, setCapacity] = useState(p.max_chats_override === null ? "" : String(p.max_chats_override));
  const load = loadOf(p);
  const save = async (call: () => Promise<Presence>) => {
    setError(null);
    try {
      team.store.dispatch({ type: "presence.updated", presence: await call() });
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  const saveCapacity = () => {
    const text = capacity.trim();
    if (text === (p.max_chats_override === null ? "" : String(p.max_chats_override))) return;
    if (text && !/^\d+$/.test(text)) {
      return setError("A capacity is a whole number from 1 to 100 (empty: the default).");
    }
    void save(() => setOperatorCapacity(api, p.user_id, text ? Number(text) : null));
  };
  return (
    <tr data-fw="board-operator" data-user-id={p.user_id} data-status={p.status}>
      <td>{p.name ?? p.user_id}</td>
      <td>
        <select
          data-fw="board-status"
          aria-label={`Status of ${p.name ?? p.user_id}`}
          className={`status-${p.status}`}
          value={p.status}
          onChange={(e) => void save(() => setOperatorPresence(api, p.user_id, e.target.value as PresenceStatus))}
        >
          {PRESENCE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_NAMES[s]}
            </option>
          ))}
        </select>
      </td>
      <td>
        <span data-fw="board-load" className={load.share >= 1 ? "load full" : "load"}>
          {load.text}
        </span>{" "}
        <span className="meter" aria-hidden="true">
          <span style={{ width: `${Math.min(100, Math.round(load.share * 100))}%` }} />
        </span>{" "}
        <input
          className="narrow-number"
          data-fw="board-capacity"
          aria-label={`Maximum chats of ${p.name ?? p.user_id} (empty: the default)`}
          placeholder="default"
          value={capacity}
          onChange={(e) => setCapacity(e.target.value)}
          onBlur={saveCapacity}
          onKeyDown={(e) => e.key === "Enter" && saveCapacity()}
        />
        {error && (
          <span className="field-error" role="alert" data-fw="board-operator-error">
            {error}
          </span>
        )}
      </td>
      <td className="muted">{formatDuration(Math.max(0, now - Date.parse(p.status_changed_at)))}</td>
    </tr>
  );
}
