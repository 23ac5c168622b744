import { useState } from "react";
import type { MemberDraft } from "../../lib/queues";

export interface OperatorChoice {
  id: string;
  name: string;
}

interface Props {
  members: MemberDraft[];
  /** The account's operators chat knows; null when they could not be loaded (ids are typed then). */
  operators: OperatorChoice[] | null;
  onChange: (members: MemberDraft[]) => void;
  problems: Record<string, string>;
}

/** The operators of a department, each with a priority in it (lower is asked first). */
export function MembersEditor({ members, operators, onChange, problems }: Props) {
  const [adding, setAdding] = useState("");
  const nameOf = (id: string) => operators?.find((o) => o.id === id)?.name ?? id;
  const free = (operators ?? []).filter((o) => !members.some((m) => m.user_id === o.id));
  const add = () => {
    const id = adding.trim();
    if (!id || members.some((m) => m.user_id === id)) return;
    onChange([...members, { user_id: id, priority: "0" }]);
    setAdding("");
  };
  const listProblem =
    problems.members ?? Object.entries(problems).find(([k]) => /^members\.\d+\.user_id$/.test(k))?.[1];

  return (
    <fieldset className="settings-list" data-fw="members-editor">
      <legend>Operators</legend>
      {members.length === 0 && <p className="empty">No operator yet: nobody gets this department's chats.</p>}
      <ul className="value-list">
        {members.map((m, index) => (
          <li key={m.user_id} className="value-row" data-fw="member" data-user-id={m.user_id}>
            <span>{nameOf(m.user_id)}</span>
            <label>
              <span className="muted">priority</span>{" "}
              <input
                className="narrow-number"
                data-fw="member-priority"
                aria-label={`Priority of ${nameOf(m.user_id)}`}
                value={m.priority}
                aria-invalid={problems[`members.${index}.priority`] ? "true" : undefined}
                onChange={(e) =>
                  onChange(members.map((x, k) => (k === index ? { ...x, priority: e.target.value } : x)))
                }
              />
            </label>
            <button
              type="button"
              data-fw="member-remove"
              aria-label={`Remove ${nameOf(m.user_id)}`}
              onClick={() => onChange(members.filter((_, k) => k !== index))}
            >
              ×
            </button>
            {problems[`members.${index}.priority`] && (
              <span className="field-error">{problems[`members.${index}.priority`]}</span>
            )}
          </li>
        ))}
      </ul>
      <div className="settings-row">
        {operators ? (
          <select
            data-fw="member-pick"
            aria-label="Operator to add"
            value={adding}
            onChange={(e) => setAdding(e.target.value)}
          >
            <option value="">Add an operator…</option>
            {free.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        ) : (
          <input
            data-fw="member-pick"
            aria-label="User id of the operator to add"
            placeholder="user id"
            value={adding}
            onChange={(e) => setAdding(e.target.value)}
          />
        )}
        <button type="button" data-fw="member-add" disabled={!adding} onClick={add}>
          Add
        </button>
      </div>
      {listProblem && (
        <p className="field-error" role="alert">
          {listProblem}
        </p>
      )}
    </fieldset>
  );
}
