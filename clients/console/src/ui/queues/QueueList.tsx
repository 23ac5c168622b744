import type { TeamController } from "../../app/team";
import { formatDuration } from "../../lib/time";
import { levelOfWait } from "../../lib/waiting";
import { tickedSummary } from "../../state/team";
import type { QueueSummary } from "../../types";
import "../team.css";
import { useQueueSummary, useTeamState } from "./useTeam";

interface Props {
  team: TeamController;
  now: number;
}

/** The queues with how many wait and for how long (CHAT-9), for every operator; hidden without a summary. */
export function QueueList({ team, now }: Props) {
  const available = useQueueSummary(team);
  const state = useTeamState(team);
  const queues = tickedSummary(state.summary, now);
  if (!available || !queues || queues.length === 0) return null;
  return (
    <section className="queue-list" data-fw="queue-list" aria-label="Queues">
      <h2>Queues</h2>
      <ul>
        {queues.map((q) => (
          <QueueRow key={q.queue_id} queue={q} />
        ))}
      </ul>
    </section>
  );
}

export function QueueRow({ queue: q }: { queue: QueueSummary }) {
  const level = q.waiting > 0 ? levelOfWait(q.longest_wait_seconds * 1000) : "none";
  return (
    <li className={`queue-row wait-${level}`} data-fw="queue-row" data-queue-id={q.queue_id} data-wait={level}>
      <span className="queue-name">
        {q.name}{" "}
        {!q.open_now && (
          <span className="tag closed" data-fw="queue-closed">
            closed
          </span>
        )}
      </span>
      <span className="queue-waiting" data-fw="queue-waiting">
        {q.waiting === 0 ? (
          <span className="muted">nobody waiting</span>
        ) : (
          <>
            {q.waiting} waiting · longest{" "}
            <span className="waited">{formatDuration(q.longest_wait_seconds * 1000)}</span>
          </>
        )}
      </span>
      <span className="muted queue-staff" data-fw="queue-staff">
        {q.online_operators} online · {q.free_slots} free
      </span>
    </li>
  );
}
