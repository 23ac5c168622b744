import { useState } from "react";
import { bestUnit, SECOND_UNITS } from "../../lib/rules";

/** A duration in seconds, written as a number and a unit (3 minutes); the unit kept while typing. */
export function SecondsInput({
  seconds,
  label,
  fw,
  onChange,
}: {
  seconds: number;
  label: string;
  fw: string;
  onChange: (seconds: number) => void;
}) {
  const [unit, setUnit] = useState(() => bestUnit(seconds));
  return (
    <span className="seconds-input">
      <input
        type="number"
        min={0}
        step="any"
        aria-label={label}
        data-fw={fw}
        value={Number.isFinite(seconds) ? round(seconds / unit) : ""}
        onChange={(e) => onChange(e.target.value === "" ? 0 : Number(e.target.value) * unit)}
      />
      <select
        aria-label={`${label} unit`}
        data-fw={`${fw}-unit`}
        value={unit}
        onChange={(e) => {
          const next = Number(e.target.value);
          onChange(round(seconds / unit) * next);
          setUnit(next);
        }}
      >
        {SECOND_UNITS.map(([value, name]) => (
          <option key={value} value={value}>
            {name}
          </option>
        ))}
      </select>
    </span>
  );
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** A whole number; empty is `null` where `nullable` (a cap not set), else 0. */
export function NumberInput({
  value,
  label,
  fw,
  min = 0,
  max,
  nullable = false,
  onChange,
}: {
  value: number | null | undefined;
  label: string;
  fw: string;
  min?: number;
  max?: number;
  nullable?: boolean;
  onChange: (value: number | null) => void;
}) {
  return (
    <input
      type="number"
      min={min}
      max={max}
      aria-label={label}
      data-fw={fw}
      value={value ?? ""}
      placeholder={nullable ? "no limit" : undefined}
      onChange={(e) => onChange(e.target.value === "" ? (nullable ? null : 0) : Number(e.target.value))}
    />
  );
}

/** The server's message for this field, next to it. */
export function FieldError({ message, fw }: { message: string | undefined; fw: string }) {
  if (!message) return null;
  return (
    <span className="field-error" role="alert" data-fw="field-error" data-field={fw}>
      {message}
    </span>
  );
}
