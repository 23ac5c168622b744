import { useState, type FormEvent } from "react";
import { errorText } from "../../lib/admin";

interface Props {
  title: string;
  hint: string;
  /** Names the data-fw hooks: "origin" -> "origin-list", "origin-row", "origin-input", "origin-add", ... */
  kind: string;
  values: string[];
  placeholder: string;
  /** Why the text typed is not acceptable, or null (checked before it is sent). */
  check: (value: string) => string | null;
  onAdd: (value: string) => Promise<void>;
  onRemove: (value: string) => Promise<void>;
}

/** A list of values added and removed one at a time, each change sent at once; errors shown beside it. */
export function ValueList({ title, hint, kind, values, placeholder, check, onAdd, onRemove }: Props) {
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null); // the value being added or removed

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const problem = check(draft);
    setError(problem);
    if (problem) return;
    const value = draft.trim();
    setBusy(value);
    try {
      await onAdd(value);
      setDraft("");
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(null);
    }
  };

  const remove = async (value: string) => {
    setError(null);
    setBusy(value);
    try {
      await onRemove(value);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(null);
    }
  };

  return (
    <fieldset className="settings-list" data-fw={`${kind}-list`}>
      <legend>{title}</legend>
      <p className="muted hint">{hint}</p>
      {values.length === 0 && <p className="empty">None.</p>}
      <ul className="value-list">
        {values.map((value) => (
          <li key={value} className="value-row" data-fw={`${kind}-row`} data-value={value}>
            <code>{value}</code>
            <button
              type="button"
              data-fw={`${kind}-remove`}
              aria-label={`Remove ${value}`}
              disabled={busy !== null}
              onClick={() => void remove(value)}
            >
              {busy === value ? "Removing…" : "Remove"}
            </button>
          </li>
        ))}
      </ul>
      <form className="value-add" onSubmit={add} noValidate>
        <input
          data-fw={`${kind}-input`}
          aria-label={`New ${kind}`}
          value={draft}
          placeholder={placeholder}
          aria-invalid={error ? true : undefined}
          onChange={(e) => {
            setDraft(e.target.value);
            setError(null);
          }}
        />
        <button type="submit" data-fw={`${kind}-add`} disabled={busy !== null}>
          Add
        </button>
      </form>
      {error && (
        <p className="field-error" role="alert" data-fw={`${kind}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
