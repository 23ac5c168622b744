import { useEffect, useState } from "react";
import type { ApiClient } from "../../api/client";
import {
  MAX_QUESTION_CHARS,
  prechatForm,
  prechatProblem,
  savePrechatForm,
  type FieldMode,
  type PrechatFields,
} from "../../api/contacts";
import { errorText } from "../../lib/admin";

const FIELDS: Array<{ key: "name" | "email" | "phone" | "question"; label: string }> = [
  { key: "name", label: "Name" },
  { key: "email", label: "Email" },
  { key: "phone", label: "Phone" },
  { key: "question", label: "Your question" },
];

/** A site's pre-chat form (EMB-5): which fields the widget asks before the first message, each off, optional or
 * required, and the site's own question. All off: no form. An email or phone given makes the visitor a contact. */
export function PrechatEditor({ api, siteId }: { api: ApiClient; siteId: string }) {
  const [fields, setFields] = useState<PrechatFields | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    setFields(null);
    prechatForm(api, siteId).then(setFields, (failure: unknown) => setNote(errorText(failure)));
  }, [api, siteId]);
  if (!fields) return note ? <p className="field-error">{note}</p> : null;
  const set = (patch: Partial<PrechatFields>) => {
    setFields({ ...fields, ...patch });
    setNote(null);
  };
  const problem = prechatProblem(fields);
  const save = async () => {
    try {
      setFields(await savePrechatForm(api, siteId, fields));
      setNote("Saved: visitors are asked before their next chat.");
    } catch (failure) {
      setNote(errorText(failure));
    }
  };
  return (
    <fieldset className="settings-list" data-fw="prechat-editor">
      <legend>Pre-chat form</legend>
      <p className="muted hint">Asked before the visitor's first message. All off: no form.</p>
      {FIELDS.map(({ key, label }) => (
        <label key={key} className="prechat-field">
          {label}{" "}
          <select
            data-fw={`prechat-mode-${key}`}
            value={fields[key]}
            onChange={(e) => set({ [key]: e.target.value as FieldMode })}
          >
            <option value="off">off</option>
            <option value="optional">optional</option>
            <option value="required">required</option>
          </select>
        </label>
      ))}
      {fields.question !== "off" && (
        <label>
          Question{" "}
          <input
            data-fw="prechat-question-label"
            maxLength={MAX_QUESTION_CHARS}
            placeholder="Your order number?"
            value={fields.question_label ?? ""}
            onChange={(e) => set({ question_label: e.target.value })}
          />
        </label>
      )}
      {problem && <p className="field-error">{problem}</p>}
      <button type="button" data-fw="prechat-save" disabled={!!problem} onClick={() => void save()}>
        Save form
      </button>
      {note && (
        <p className="muted" data-fw="prechat-note">
          {note}
        </p>
      )}
    </fieldset>
  );
}
