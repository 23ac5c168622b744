import { useState, type FormEvent } from "react";
import { ApiError, type ApiClient } from "../../api/client";
import { createQueue, STRATEGIES, updateQueue, type Queue, type Strategy } from "../../api/queues";
import { errorText } from "../../lib/admin";
import {
  draftOf,
  draftProblems,
  newDraft,
  queueBody,
  serverProblems,
  STRATEGY_NAMES,
  type QueueDraft,
} from "../../lib/queues";
import { HoursEditor } from "./HoursEditor";
import { MembersEditor, type OperatorChoice } from "./MembersEditor";

interface Props {
  api: ApiClient;
  /** The department edited; null: a new one. */
  queue: Queue | null;
  /** Every department of the account (the failover choices). */
  queues: Queue[];
  operators: OperatorChoice[] | null;
  onSaved: (queue: Queue) => void;
  onCancel: () => void;
}

type TextField =
  | "name"
  | "welcome_message"
  | "priority"
  | "max_wait_seconds"
  | "min_gap_seconds"
  | "webhook_url"
  | "webhook_secret";

/** One department: name, welcome message, routing, hours with holidays, and its operators (ROUTE-1). */
export function QueueEditor({ api, queue, queues, operators, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState<QueueDraft>(() => (queue ? draftOf(queue) : newDraft()));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  const put = (part: Partial<QueueDraft>) => setDraft((d) => ({ ...d, ...part }));
  const text = (name: TextField) => ({
    value: draft[name],
    "aria-invalid": problems[name] ? ("true" as const) : undefined,
    onChange: (e: { target: { value: string } }) => put({ [name]: e.target.value }),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = draftProblems(draft);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    try {
      const body = queueBody(draft);
      onSaved(queue ? await updateQueue(api, queue.id, body) : await createQueue(api, body));
    } catch (error) {
      const fields = error instanceof ApiError && error.status === 422 ? serverProblems(error.details) : {};
      setProblems(Object.keys(fields).length > 0 ? fields : { form: errorText(error) });
    } finally {
      setSaving(false);
    }
  };

  const problem = (field: string) =>
    problems[field] && (
      <span className="field-error" data-fw={`problem-${field}`}>
        {problems[field]}
      </span>
    );
  const known = new Set([
    "name",
    "welcome_message",
    "priority",
    "max_wait_seconds",
    "min_gap_seconds",
    "webhook_url",
    "webhook_secret",
  ]);
  const others = Object.entries(problems).filter(
    ([field]) => !known.has(field) && !field.startsWith("hours") && !field.startsWith("members"),
  );

  return (
    <form className="queue-editor" data-fw="queue-editor" onSubmit={submit} noValidate>
      <h2>{queue ? `Edit ${queue.name}` : "New department"}</h2>
      <div className="settings-row">
        <label className="field">
          <span className="field-label">Name</span>
          <input data-fw="queue-name" {...text("name")} />
          {problem("name")}
        </label>
        <label className="field narrow">
          <span className="field-label">Priority (lower first)</span>
          <input data-fw="queue-priority" inputMode="numeric" {...text("priority")} />
          {problem("priority")}
        </label>
      </div>
      <label className="field">
        <span className="field-label">Welcome message</span>
        <textarea data-fw="queue-welcome" rows={2} {...text("welcome_message")} />
        {problem("welcome_message")}
      </label>
      <div className="settings-row">
        <label className="field">
          <span className="field-label">Routing</span>
          <select
            data-fw="queue-strategy"
            value={draft.strategy}
            onChange={(e) => put({ strategy: e.target.value as Strategy })}
          >
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {STRATEGY_NAMES[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="field narrow">
          <span className="field-label">Longest wait (s)</span>
          <input data-fw="queue-max-wait" inputMode="numeric" {...text("max_wait_seconds")} />
          {problem("max_wait_seconds")}
        </label>
        <label className="field narrow">
          <span className="field-label">Gap between two chats (s)</span>
          <input data-fw="queue-min-gap" inputMode="numeric" {...text("min_gap_seconds")} />
          {problem("min_gap_seconds")}
        </label>
        <label className="field">
          <span className="field-label">Then fail over to</span>
          <select
            data-fw="queue-failover"
            value={draft.failover_queue_id}
            onChange={(e) => put({ failover_queue_id: e.target.value })}
          >
            <option value="">nowhere</option>
            {queues
              .filter((q) => q.id !== queue?.id)
              .map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
          </select>
          {problem("failover_queue_id")}
        </label>
      </div>
      {draft.strategy === "external_webhook" && (
        <div className="settings-row">
          <label className="field">
            <span className="field-label">Router URL</span>
            <input data-fw="queue-webhook-url" placeholder="https://" {...text("webhook_url")} />
            {problem("webhook_url")}
          </label>
          <label className="field">
            <span className="field-label">
              Secret {draft.webhook_secret_set && <span className="muted">(stored; leave empty to keep it)</span>}
            </span>
            <input data-fw="queue-webhook-secret" type="password" autoComplete="off" {...text("webhook_secret")} />
            {problem("webhook_secret")}
          </label>
        </div>
      )}
      <label className="field">
        <span className="field-label">
          Sections or URL prefixes where its chat button shows (one a line; none: everywhere)
        </span>
        <textarea
          data-fw="queue-sections"
          rows={2}
          value={draft.sections}
          onChange={(e) => put({ sections: e.target.value })}
        />
        {problem("sections")}
      </label>
      <HoursEditor
        hours={draft}
        problems={problems}
        onChange={(hours) => setDraft((d) => ({ ...d, ...hours }))}
      />
      <MembersEditor
        members={draft.members}
        operators={operators}
        problems={problems}
        onChange={(members) => put({ members })}
      />
      {others.length > 0 && (
        <ul className="settings-errors" role="alert" data-fw="queue-errors">
          {others.map(([field, message]) => (
            <li key={field}>{message}</li>
          ))}
        </ul>
      )}
      <div className="settings-actions">
        <button type="submit" className="primary" data-fw="queue-save" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" data-fw="queue-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
