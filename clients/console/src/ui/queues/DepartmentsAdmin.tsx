import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { deleteQueue, listPresence, listQueues, type Queue } from "../../api/queues";
import { errorText } from "../../lib/admin";
import { STRATEGY_NAMES } from "../../lib/queues";
import { loadError as loadErrorOf } from "../hooks";
import "../team.css";
import type { OperatorChoice } from "./MembersEditor";
import { OperatorLanguages } from "./OperatorLanguages";
import { QueueEditor } from "./QueueEditor";

/** Supervisors and admins: the account's departments (queues), to add, edit and delete (ROUTE-1). */
export function DepartmentsAdmin({ api }: { api: ApiClient }) {
  const cache = useQueryClient();
  const listed = useQuery({ queryKey: keys.queues, queryFn: () => listQueues(api) });
  const queues = listed.data;
  const loadError = loadErrorOf("the departments", listed.error);
  const present = useQuery({ queryKey: keys.presence, queryFn: () => listPresence(api) }).data?.operators;
  const presence = present ?? [];
  const operators: OperatorChoice[] | null =
    present?.map((p) => ({ id: p.user_id, name: p.name ?? p.user_id })) ?? null;
  const [editing, setEditing] = useState<Queue | "new" | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const reload = () => cache.invalidateQueries({ queryKey: keys.queues });

  const remove = async (queue: Queue) => {
    setRowError(null);
    try {
      await deleteQueue(api, queue.id);
      setConfirming(null);
    } catch (error) {
      setRowError({ id: queue.id, message: errorText(error) });
    }
    await reload();
  };

  const nameOf = (id: string | null) => queues?.find((q) => q.id === id)?.name ?? null;

  return (
    <main className="settings admin departments" data-fw="departments-admin" aria-label="Departments">
      <header className="settings-header">
        <h1>Departments</h1>
        {editing === null && (
          <button
            type="button"
            className="primary"
            data-fw="queue-new"
            onClick={() => {
              setSaved(null);
              setEditing("new");
            }}
          >
            New department
          </button>
        )}
      </header>
      {loadError && (
        <p className="error" role="alert" data-fw="queues-load-error">
          {loadError}
        </p>
      )}
      {saved && (
        <p className="ok" role="status" data-fw="queue-saved">
          {saved} saved.
        </p>
      )}
      {editing !== null && queues && (
        <QueueEditor
          key={editing === "new" ? "new" : editing.id}
          api={api}
          queue={editing === "new" ? null : editing}
          queues={queues}
          operators={operators}
          onCancel={() => setEditing(null)}
          onSaved={(queue) => {
            setEditing(null);
            setSaved(queue.name);
            void reload();
          }}
        />
      )}
      {!queues && !loadError && <p className="muted">Loading…</p>}
      {queues && editing === null && (
        <table className="team queues" data-fw="queues">
          <thead>
            <tr>
              <th>Department</th>
              <th>Now</th>
              <th>Routing</th>
              <th>Operators</th>
              <th>Priority</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {queues.length === 0 && (
              <tr>
                <td colSpan={6} className="empty">
                  No department yet: every operator gets every chat.
                </td>
              </tr>
            )}
            {queues.map((queue) => (
              <tr key={queue.id} data-fw="queue-item" data-queue-id={queue.id} data-name={queue.name}>
                <td>
                  {queue.name}
                  {queue.failover_queue_id && (
                    <div className="sub muted">then {nameOf(queue.failover_queue_id) ?? "another queue"}</div>
                  )}
                </td>
                <td>
                  <span className={`tag ${queue.open_now ? "open" : "closed"}`} data-fw="queue-open">
                    {queue.hours === null ? "always open" : queue.open_now ? "open" : "closed"}
                  </span>
                </td>
                <td>{STRATEGY_NAMES[queue.strategy] ?? queue.strategy}</td>
                <td data-fw="queue-members">{queue.members.length}</td>
                <td>{queue.priority}</td>
                <td className="member-actions">
                  {confirming === queue.id ? (
                    <span className="confirm">
                      Delete {queue.name}?{" "}
                      <button
                        type="button"
                        className="danger"
                        data-fw="queue-delete-yes"
                        onClick={() => void remove(queue)}
                      >
                        Delete
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <>
                      <button
                        type="button"
                        data-fw="queue-edit"
                        onClick={() => {
                          setSaved(null);
                          setEditing(queue);
                        }}
                      >
                        Edit
                      </button>
                      <button type="button" data-fw="queue-delete" onClick={() => setConfirming(queue.id)}>
                        Delete…
                      </button>
                    </>
                  )}
                  {rowError?.id === queue.id && (
                    <p className="field-error" role="alert">
                      {rowError.message}
                    </p>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing === null && presence.length > 0 && <OperatorLanguages api={api} operators={presence} />}
    </main>
  );
}
