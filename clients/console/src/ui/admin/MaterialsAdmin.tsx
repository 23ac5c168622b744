import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import {
  createMaterial,
  deleteMaterial,
  listMaterials,
  MATERIAL_KINDS,
  replaceMaterial,
  type Material,
  type MaterialIn,
  type MaterialKind,
} from "../../api/materials";
import { listQueues, type Queue } from "../../api/queues";
import { errorText } from "../../lib/admin";
import { loadError } from "../hooks";

const EMPTY: MaterialIn = { kind: "link", title: "", url: null, text: null, queue_id: null, campaign: null };
const KIND_NAMES: Record<MaterialKind, string> = { link: "Link", document: "Document", script: "Script" };

/** Supervisors and admins: the support materials (OPS-4) operators have at hand in a chat: links, documents
 * (a link to a file, or a text: uploads are another feature) and scripts, for every queue or one, and
 * optionally one campaign. */
export function MaterialsAdmin({ api }: { api: ApiClient }) {
  const cache = useQueryClient();
  const listed = useQuery({ queryKey: keys.materials, queryFn: () => listMaterials(api, { all: true }) });
  const list = listed.data;
  const queues = useQuery({ queryKey: keys.queues, queryFn: () => listQueues(api) }).data ?? [];
  const [mutationError, setError] = useState<string | null>(null);
  const error = mutationError ?? loadError("the materials", listed.error);
  const [editing, setEditing] = useState<Material | "new" | null>(null);
  const reload = () => cache.invalidateQueries({ queryKey: keys.materials });

  const remove = async (material: Material) => {
    setError(null);
    try {
      await deleteMaterial(api, material.id);
      if (editing !== "new" && editing?.id === material.id) setEditing(null);
    } catch (failure) {
      setError(errorText(failure));
    }
    await reload();
  };
  const queueName = (id: string | null) => (id ? (queues.find((q) => q.id === id)?.name ?? "a deleted queue") : "All");

  return (
    <main className="settings admin materials-admin" data-fw="materials-admin" aria-label="Materials">
      <header className="settings-header">
        <h1>Support materials</h1>
        {editing === null && (
          <button type="button" className="primary" data-fw="material-new" onClick={() => setEditing("new")}>
            New material
          </button>
        )}
      </header>
      {error && (
        <p className="error" role="alert" data-fw="materials-error">
          {error}
        </p>
      )}
      {editing !== null && (
        <MaterialForm
          key={editing === "new" ? "new" : editing.id}
          initial={editing === "new" ? EMPTY : editing}
          queues={queues}
          onCancel={() => setEditing(null)}
          onSave={async (body) => {
            if (editing === "new") await createMaterial(api, body);
            else await replaceMaterial(api, editing.id, body);
            setEditing(null);
            await reload();
          }}
        />
      )}
      {!list && !error && <p className="muted">Loading…</p>}
      {list && list.length === 0 && <p className="muted">No materials yet.</p>}
      {list && list.length > 0 && (
        <table className="admin-table" data-fw="material-list">
          <thead>
            <tr>
              <th>Title</th>
              <th>Kind</th>
              <th>Queue</th>
              <th>Campaign</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((material) => (
              <tr key={material.id} data-fw="material-row" data-title={material.title}>
                <td>{material.title}</td>
                <td>{KIND_NAMES[material.kind]}</td>
                <td>{queueName(material.queue_id)}</td>
                <td>{material.campaign ?? "All"}</td>
                <td>
                  <button type="button" data-fw="material-edit" onClick={() => setEditing(material)}>
                    Edit
                  </button>
                  <button type="button" data-fw="material-delete" onClick={() => void remove(material)}>
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
  initial: MaterialIn;
  queues: Queue[];
  onSave: (body: MaterialIn) => Promise<void>;
  onCancel: () => void;
}

/** What is sent: a link its URL, a script its text, a document the one of them that is filled in. */
function bodyOf(form: MaterialIn): MaterialIn {
  const url = form.url?.trim() || null;
  const text = form.text?.trim() ? form.text : null;
  const campaign = form.campaign?.trim() || null;
  if (form.kind === "link") return { ...form, url, text: null, campaign };
  if (form.kind === "script") return { ...form, url: null, text, campaign };
  return { ...form, url, text: url ? null : text, campaign };
}

function MaterialForm({ initial, queues, onSave, onCancel }: FormProps) {
  const [form, setForm] = useState<MaterialIn>({ ...EMPTY, ...initial });
  const save = useMutation({ mutationFn: onSave });
  const set = (changes: Partial<MaterialIn>) => setForm((f) => ({ ...f, ...changes }));
  const takesUrl = form.kind !== "script";
  const takesText = form.kind !== "link";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(bodyOf(form));
  };

  return (
    <form className="admin-form" data-fw="material-form" onSubmit={submit}>
      <label>
        Kind
        <select
          data-fw="material-kind"
          value={form.kind}
          onChange={(e) => set({ kind: e.target.value as MaterialKind })}
        >
          {MATERIAL_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {KIND_NAMES[kind]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Title
        <input
          data-fw="material-title"
          value={form.title}
          maxLength={200}
          required
          onChange={(e) => set({ title: e.target.value })}
        />
      </label>
      {takesUrl && (
        <label>
          {form.kind === "document" ? "Link to the file (or write a text below)" : "URL"}
          <input
            data-fw="material-url"
            type="url"
            placeholder="https://"
            value={form.url ?? ""}
            onChange={(e) => set({ url: e.target.value })}
          />
        </label>
      )}
      {takesText && (
        <label>
          Text
          <textarea
            data-fw="material-text-input"
            rows={5}
            value={form.text ?? ""}
            onChange={(e) => set({ text: e.target.value })}
          />
        </label>
      )}
      <label>
        Queue
        <select
          data-fw="material-queue"
          value={form.queue_id ?? ""}
          onChange={(e) => set({ queue_id: e.target.value || null })}
        >
          <option value="">All queues</option>
          {queues.map((q) => (
            <option key={q.id} value={q.id}>
              {q.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Campaign (optional)
        <input
          data-fw="material-campaign"
          value={form.campaign ?? ""}
          maxLength={100}
          onChange={(e) => set({ campaign: e.target.value })}
        />
      </label>
      {save.error && (
        <p className="error" role="alert" data-fw="material-form-error">
          {errorText(save.error)}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" data-fw="material-save" disabled={save.isPending}>
          Save
        </button>
        <button type="button" data-fw="material-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
