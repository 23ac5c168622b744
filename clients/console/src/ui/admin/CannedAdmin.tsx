import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import {
  createCanned,
  deleteCanned,
  listCanned,
  replaceCanned,
  type CannedIn,
  type CannedResponse,
} from "../../api/canned";
import { keys } from "../../api/keys";
import { listQueues, type Queue } from "../../api/queues";
import { errorText } from "../../lib/admin";
import { loadError } from "../hooks";

const EMPTY: CannedIn = { shortcut: "", title: "", text: "", queue_id: null };

/** Supervisors and admins: the account's canned responses (OPS-3), the account's own and each queue's, to add,
 * edit and delete. */
export function CannedAdmin({ api }: { api: ApiClient }) {
  const cache = useQueryClient();
  const listed = useQuery({ queryKey: keys.canned, queryFn: () => listCanned(api, { all: true }) });
  const list = listed.data;
  const queues = useQuery({ queryKey: keys.queues, queryFn: () => listQueues(api) }).data ?? [];
  const [mutationError, setError] = useState<string | null>(null);
  const error = mutationError ?? loadError("the canned responses", listed.error);
  const [editing, setEditing] = useState<CannedResponse | "new" | null>(null);
  const reload = () => cache.invalidateQueries({ queryKey: keys.canned });

  const remove = async (canned: CannedResponse) => {
    setError(null);
    try {
      await deleteCanned(api, canned.id);
      if (editing !== "new" && editing?.id === canned.id) setEditing(null);
    } catch (failure) {
      setError(errorText(failure));
    }
    await reload();
  };
  const queueName = (id: string | null) => (id ? (queues.find((q) => q.id === id)?.name ?? "a deleted queue") : "All");

  return (
    <main className="settings admin canned-admin" data-fw="canned-admin" aria-label="Canned responses">
      <header className="settings-header">
        <h1>Canned responses</h1>
        {editing === null && (
          <button type="button" className="primary" data-fw="canned-new" onClick={() => setEditing("new")}>
            New response
          </button>
        )}
      </header>
      <p className="muted hint">
        Operators type <code>/</code> and the shortcut in a chat to insert one. <code>{"{visitor.name}"}</code> and{" "}
        <code>{"{operator.name}"}</code> are filled in.
      </p>
      {error && (
        <p className="error" role="alert" data-fw="canned-error">
          {error}
        </p>
      )}
      {editing !== null && (
        <CannedForm
          key={editing === "new" ? "new" : editing.id}
          initial={editing === "new" ? EMPTY : editing}
          queues={queues}
          onCancel={() => setEditing(null)}
          onSave={async (body) => {
            if (editing === "new") await createCanned(api, body);
            else await replaceCanned(api, editing.id, body);
            setEditing(null);
            await reload();
          }}
        />
      )}
      {!list && !error && <p className="muted">Loading…</p>}
      {list && list.length === 0 && <p className="muted">No canned responses yet.</p>}
      {list && list.length > 0 && (
        <table className="admin-table" data-fw="canned-list">
          <thead>
            <tr>
              <th>Shortcut</th>
              <th>Title</th>
              <th>Queue</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((canned) => (
              <tr key={canned.id} data-fw="canned-row" data-shortcut={canned.shortcut}>
                <td>/{canned.shortcut}</td>
                <td>{canned.title}</td>
                <td>{queueName(canned.queue_id)}</td>
                <td>
                  <button type="button" data-fw="canned-edit" onClick={() => setEditing(canned)}>
                    Edit
                  </button>
                  <button type="button" data-fw="canned-delete" onClick={() => void remove(canned)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

interface FormProps {
  initial: CannedIn;
  queues: Queue[];
  onSave: (body: CannedIn) => Promise<void>;
  onCancel: () => void;
}

function CannedForm({ initial, queues, onSave, onCancel }: FormProps) {
  const [body, setBody] = useState<CannedIn>({
    shortcut: initial.shortcut,
    title: initial.title,
    text: initial.text,
    queue_id: initial.queue_id,
  });
  const save = useMutation({ mutationFn: onSave });
  const set = (changes: Partial<CannedIn>) => setBody((b) => ({ ...b, ...changes }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ ...body, shortcut: body.shortcut.trim().replace(/^\//, "") });
  };

  return (
    <form className="admin-form" data-fw="canned-form" onSubmit={submit}>
      <label>
        Shortcut
        <input
          data-fw="canned-shortcut"
          value={body.shortcut}
          maxLength={33}
          required
          onChange={(e) => set({ shortcut: e.target.value })}
        />
      </label>
      <label>
        Title
        <input
          data-fw="canned-title"
          value={body.title}
          maxLength={200}
          required
          onChange={(e) => set({ title: e.target.value })}
        />
      </label>
      <label>
        Text
        <textarea
          data-fw="canned-text"
          rows={4}
          value={body.text}
          required
          onChange={(e) => set({ text: e.target.value })}
        />
      </label>
      <label>
        Queue
        <select
          data-fw="canned-queue"
          value={body.queue_id ?? ""}
          onChange={(e) => set({ queue_id: e.target.value || null })}
        >
          <option value="">All queues (the whole account)</option>
          {queues.map((q) => (
            <option key={q.id} value={q.id}>
              {q.name}
            </option>
          ))}
        </select>
      </label>
      {save.error && (
        <p className="error" role="alert" data-fw="canned-form-error">
          {errorText(save.error)}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" data-fw="canned-save" disabled={save.isPending}>
          Save
        </button>
        <button type="button" data-fw="canned-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
