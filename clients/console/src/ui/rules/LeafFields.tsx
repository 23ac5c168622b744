import { useState } from "react";
import {
  ATTRIBUTE_OPS,
  attributeValue,
  conditionType,
  type FieldSpec,
  type Leaf,
  LIST_OPS,
  listText,
  NO_VALUE_OPS,
  parseList,
  TEXT_OPS,
  textValue,
} from "../../lib/rules";
import type { Choice } from "../../api/rules";
import { useChoices } from "./choices";
import { FieldError, NumberInput, SecondsInput } from "./inputs";

interface Props {
  leaf: Leaf;
  /** The node's path ("0.2"), in the inputs' `data-fw` names. */
  at: string;
  /** The server's messages for this node, by field (`seconds`, `value`, "" for the node as a whole). */
  problems: Record<string, string>;
  onChange: (leaf: Leaf) => void;
}

/** The inputs of one leaf condition, as its catalogue entry lists them. */
export function LeafFields({ leaf, at, problems, onChange }: Props) {
  const spec = conditionType(leaf.type);
  if (!spec) return <span className="muted">{leaf.type} (not editable here)</span>;
  const set = (name: string, value: unknown) => onChange({ ...leaf, [name]: value });
  // A field's messages: its own and its items' (`operator_ids.2`).
  const about = (name: string) =>
    Object.entries(problems)
      .filter(([field]) => field === name || field.startsWith(`${name}.`))
      .map(([, message]) => message)
      .join(" ") || undefined;
  const covered = new Set<string>();
  const fields = spec.fields.map((field, i) => {
    if (field.kind === "textTest" || field.kind === "attributeTest") {
      ["op", "value", "case_sensitive"].forEach((n) => covered.add(n));
      return (
        <ValueTest
          key={i}
          leaf={leaf}
          at={at}
          attribute={field.kind === "attributeTest"}
          about={about}
          onChange={onChange}
        />
      );
    }
    covered.add(field.name);
    return (
      // A span, not a label: some inputs are groups of checkboxes with labels of their own (every input has an
      // aria-label).
      <span key={i} className="leaf-field">
        {field.label && <span className="leaf-label">{field.label}</span>}
        <FieldInput
          field={field}
          value={leaf[field.name]}
          fw={`${at}-${field.name}`}
          onChange={(v) => set(field.name, v)}
        />
        <FieldError message={about(field.name)} fw={`${at}-${field.name}`} />
      </span>
    );
  });
  const others = Object.entries(problems).filter(([name]) => !covered.has(name.split(".")[0]));
  return (
    <span className="leaf-fields">
      {fields}
      {others.map(([name, message]) => (
        <FieldError key={name} message={name ? `${name}: ${message}` : message} fw={`${at}-${name || "node"}`} />
      ))}
    </span>
  );
}

function FieldInput({
  field,
  value,
  fw,
  onChange,
}: {
  field: Exclude<FieldSpec, { kind: "textTest" | "attributeTest" }>;
  value: unknown;
  fw: string;
  onChange: (v: unknown) => void;
}) {
  const label = field.label || field.name;
  const choices = useChoices();
  switch (field.kind) {
    case "seconds":
      return <SecondsInput seconds={Number(value ?? 0)} label={label} fw={fw} onChange={onChange} />;
    case "count":
      return <NumberInput value={Number(value ?? 0)} label={label} fw={fw} onChange={(v) => onChange(v ?? 0)} />;
    case "number":
      return (
        <NumberInput
          value={Number(value ?? 0)}
          label={label}
          fw={fw}
          min={field.min}
          max={field.max}
          onChange={(v) => onChange(v ?? 0)}
        />
      );
    case "text":
      if (field.pick === "queue" && choices.queues && choices.queues.length > 0) {
        return (
          <ChoiceSelect
            value={typeof value === "string" ? value : ""}
            label={label}
            fw={fw}
            choices={choices.queues}
            none={field.optional ? "any queue" : "choose a queue"}
            onChange={(id) => onChange(id === "" && field.optional ? null : id)}
          />
        );
      }
      return (
        <>
          <input
            type="text"
            list={field.pick === "section" && choices.sections.length ? `${fw}-sections` : undefined}
            aria-label={label}
            data-fw={fw}
            placeholder={field.placeholder}
            value={typeof value === "string" ? value : ""}
            onChange={(e) => onChange(field.optional && e.target.value.trim() === "" ? null : e.target.value)}
          />
          {field.pick === "section" && choices.sections.length > 0 && (
            <datalist id={`${fw}-sections`}>
              {choices.sections.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
          )}
        </>
      );
    case "select":
      return (
        <select
          aria-label={label}
          data-fw={fw}
          value={String(value ?? field.options[0][0])}
          onChange={(e) => onChange(field.boolean ? e.target.value === "true" : e.target.value)}
        >
          {field.options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      );
    case "bool":
      return (
        <input
          type="checkbox"
          aria-label={label}
          data-fw={fw}
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
    case "multi": {
      const chosen = new Set(Array.isArray(value) ? (value as string[]) : []);
      return (
        <span className="multi" data-fw={fw}>
          {field.options.map(([v, text]) => (
            <label key={v}>
              <input
                type="checkbox"
                data-fw={`${fw}-${v}`}
                checked={chosen.has(v)}
                onChange={(e) =>
                  onChange(field.options.map(([o]) => o).filter((o) => (o === v ? e.target.checked : chosen.has(o))))
                }
              />
              {text}
            </label>
          ))}
        </span>
      );
    }
    case "list":
      if (field.pick === "operators" && choices.operators && choices.operators.length > 0) {
        return <OperatorPicker value={value} fw={fw} operators={choices.operators} onChange={onChange} />;
      }
      return (
        <ListInput
          value={value}
          label={label}
          fw={fw}
          placeholder={field.placeholder}
          onChange={(list) => onChange(list)}
        />
      );
  }
}

/** A comma separated list: the text kept as typed, the list given on every change. */
/** An id picked by its name; an id the list does not have (a deleted queue) stays shown. */
function ChoiceSelect({
  value,
  label,
  fw,
  choices,
  none,
  onChange,
}: {
  value: string;
  label: string;
  fw: string;
  choices: Choice[];
  none: string;
  onChange: (id: string) => void;
}) {
  const known = choices.some((c) => c.id === value);
  return (
    <select aria-label={label} data-fw={fw} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{none}</option>
      {!known && value && <option value={value}>{value} (unknown)</option>}
      {choices.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

/** Operators ticked by name (none ticked: any operator); ids not among them (a removed user) stay ticked. */
function OperatorPicker({
  value,
  fw,
  operators,
  onChange,
}: {
  value: unknown;
  fw: string;
  operators: Choice[];
  onChange: (ids: string[]) => void;
}) {
  const chosen = Array.isArray(value) ? (value as string[]) : [];
  const unknown = chosen
    .filter((id) => !operators.some((o) => o.id === id))
    .map((id) => ({ id, name: `${id} (unknown)` }));
  return (
    <span className="multi" data-fw={fw}>
      {[...operators, ...unknown].map((o) => (
        <label key={o.id}>
          <input
            type="checkbox"
            data-fw={`${fw}-${o.id}`}
            checked={chosen.includes(o.id)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, o.id] : chosen.filter((id) => id !== o.id))}
          />
          {o.name}
        </label>
      ))}
      {chosen.length === 0 && <span className="muted">(none ticked: any operator)</span>}
    </span>
  );
}

function ListInput({
  value,
  label,
  fw,
  placeholder,
  onChange,
}: {
  value: unknown;
  label: string;
  fw: string;
  placeholder?: string;
  onChange: (list: string[]) => void;
}) {
  return (
    <input
      type="text"
      aria-label={label}
      data-fw={fw}
      placeholder={placeholder}
      defaultValue={listText(value)}
      onChange={(e) => onChange(parseList(e.target.value))}
    />
  );
}

/** A text or attribute test: its operator, its value (a list for "is one of", none for "is known") and case. */
function ValueTest({
  leaf,
  at,
  attribute,
  about,
  onChange,
}: {
  leaf: Leaf;
  at: string;
  attribute: boolean;
  about: (field: string) => string | undefined;
  onChange: (leaf: Leaf) => void;
}) {
  const op = String(leaf.op ?? "eq");
  const ops = attribute ? ATTRIBUTE_OPS : TEXT_OPS;
  const { segments } = useChoices();
  const named = leaf.type === "segment" && segments.length > 0 && !LIST_OPS.has(op); // a datalist offers one name
  const convert = (o: string, text: string) => (attribute ? attributeValue(o, text) : textValue(o, text));
  // The text as typed ("a, b, " while a list is being written); the tree gets its value on every change.
  const [text, setText] = useState(() =>
    listText(
      Array.isArray(leaf.value)
        ? leaf.value.map(String)
        : leaf.value === null || leaf.value === undefined
          ? ""
          : String(leaf.value),
    ),
  );
  return (
    <>
      <label className="leaf-field">
        <select
          aria-label="operator"
          data-fw={`${at}-op`}
          value={op}
          onChange={(e) => onChange({ ...leaf, op: e.target.value, value: convert(e.target.value, text) })}
        >
          {ops.map(([v, name]) => (
            <option key={v} value={v}>
              {name}
            </option>
          ))}
        </select>
        <FieldError message={about("op")} fw={`${at}-op`} />
      </label>
      {!NO_VALUE_OPS.has(op) && (
        <label className="leaf-field">
          <input
            type="text"
            aria-label="value"
            data-fw={`${at}-value`}
            placeholder={LIST_OPS.has(op) ? "values, comma separated" : op === "regex" ? "RE2 pattern" : ""}
            list={named ? `${at}-segments` : undefined}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              onChange({ ...leaf, value: convert(op, e.target.value) });
            }}
          />
          {named && (
            <datalist id={`${at}-segments`} data-fw={`${at}-segments`}>
              {segments.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
          )}
          <FieldError message={about("value")} fw={`${at}-value`} />
        </label>
      )}
      {!NO_VALUE_OPS.has(op) && (
        <label className="leaf-field">
          <input
            type="checkbox"
            data-fw={`${at}-case`}
            checked={leaf.case_sensitive === true || (attribute && leaf.case_sensitive === undefined)}
            onChange={(e) => onChange({ ...leaf, case_sensitive: e.target.checked })}
          />
          <span className="leaf-label">case sensitive</span>
        </label>
      )}
    </>
  );
}
