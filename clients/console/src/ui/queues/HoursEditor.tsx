import { useState } from "react";
import { DAYS, type Day, type Interval } from "../../api/queues";
import { DAY_NAMES, type QueueDraft } from "../../lib/queues";

type Hours = Pick<QueueDraft, "always_open" | "time_zone" | "weekly" | "holidays">;

interface Props {
  hours: Hours;
  onChange: (hours: Hours) => void;
  problems: Record<string, string>;
}

let knownZones: string[] | null = null;

/** The browser's IANA zones, for the time zone field's suggestions (asked once). */
function zones(): string[] {
  if (knownZones) return knownZones;
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    knownZones = intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    knownZones = [];
  }
  return knownZones;
}

/** Opening hours: always open, or a weekly schedule in a time zone with holidays (ROUTE-1). */
export function HoursEditor({ hours, onChange, problems }: Props) {
  const [holiday, setHoliday] = useState("");
  const setDay = (day: Day, intervals: Interval[]) =>
    onChange({ ...hours, weekly: { ...hours.weekly, [day]: intervals } });
  const copyMonday = () => {
    const weekly = { ...hours.weekly };
    for (const day of ["tue", "wed", "thu", "fri"] as const) weekly[day] = hours.weekly.mon.map((i) => ({ ...i }));
    onChange({ ...hours, weekly });
  };
  const addHoliday = () => {
    const value = holiday.trim();
    if (!value || hours.holidays.includes(value)) return;
    onChange({ ...hours, holidays: [...hours.holidays, value].sort() });
    setHoliday("");
  };

  return (
    <fieldset className="settings-list hours" data-fw="hours">
      <legend>Opening hours</legend>
      <label className="check">
        <input
          type="checkbox"
          data-fw="always-open"
          checked={hours.always_open}
          onChange={(e) => onChange({ ...hours, always_open: e.target.checked })}
        />{" "}
        Always open
      </label>
      {!hours.always_open && (
        <>
          <label className="field">
            <span className="field-label">Time zone</span>
            <input
              data-fw="time-zone"
              list="fw-time-zones"
              value={hours.time_zone}
              aria-invalid={problems["hours.time_zone"] ? "true" : undefined}
              onChange={(e) => onChange({ ...hours, time_zone: e.target.value })}
            />
            <datalist id="fw-time-zones">
              {zones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            {problems["hours.time_zone"] && <span className="field-error">{problems["hours.time_zone"]}</span>}
          </label>
          <table className="week" data-fw="week">
            <tbody>
              {DAYS.map((day) => (
                <DayRow
                  key={day}
                  day={day}
                  intervals={hours.weekly[day]}
                  problem={problems[`hours.weekly.${day}`] ?? problemUnder(problems, `hours.weekly.${day}.`)}
                  onChange={(intervals) => setDay(day, intervals)}
                />
              ))}
            </tbody>
          </table>
          <button type="button" data-fw="copy-monday" onClick={copyMonday}>
            Copy Monday to Tuesday–Friday
          </button>
          <div className="holidays" data-fw="holidays">
            <span className="field-label">Holidays (closed all day)</span>
            <ul className="value-list">
              {hours.holidays.map((h) => (
                <li key={h} className="value-row" data-fw="holiday" data-value={h}>
                  <span>{h}</span>
                  <button
                    type="button"
                    aria-label={`Remove ${h}`}
                    onClick={() => onChange({ ...hours, holidays: hours.holidays.filter((x) => x !== h) })}
                  >
                    ×
                  </button>
                </li>
              ))}
            </ul>
            <div className="settings-row">
              <input
                data-fw="holiday-input"
                placeholder="YYYY-MM-DD"
                aria-label="Holiday"
                value={holiday}
                onChange={(e) => setHoliday(e.target.value)}
              />
              <button type="button" data-fw="holiday-add" onClick={addHoliday}>
                Add holiday
              </button>
            </div>
            {(problems["hours.holidays"] ?? problemUnder(problems, "hours.holidays.")) && (
              <span className="field-error" role="alert">
                {problems["hours.holidays"] ?? problemUnder(problems, "hours.holidays.")}
              </span>
            )}
          </div>
        </>
      )}
    </fieldset>
  );
}

function problemUnder(problems: Record<string, string>, prefix: string): string | undefined {
  const key = Object.keys(problems).find((k) => k.startsWith(prefix));
  return key ? problems[key] : undefined;
}

interface DayProps {
  day: Day;
  intervals: Interval[];
  problem: string | undefined;
  onChange: (intervals: Interval[]) => void;
}

function DayRow({ day, intervals, problem, onChange }: DayProps) {
  const put = (index: number, part: Partial<Interval>) =>
    onChange(intervals.map((i, k) => (k === index ? { ...i, ...part } : i)));
  const last = intervals[intervals.length - 1];
  return (
    <tr data-fw="day" data-day={day}>
      <th scope="row">{DAY_NAMES[day]}</th>
      <td>
        {intervals.length === 0 && <span className="muted">closed</span>}
        {intervals.map((interval, index) => (
          <span key={index} className="interval" data-fw="interval">
            <input
              aria-label={`${DAY_NAMES[day]} opens`}
              data-fw="interval-start"
              className="clock"
              value={interval.start}
              onChange={(e) => put(index, { start: e.target.value })}
            />
            –
            <input
              aria-label={`${DAY_NAMES[day]} closes`}
              data-fw="interval-end"
              className="clock"
              value={interval.end}
              onChange={(e) => put(index, { end: e.target.value })}
            />
            <button
              type="button"
              aria-label={`Remove ${interval.start}-${interval.end}`}
              onClick={() => onChange(intervals.filter((_, k) => k !== index))}
            >
              ×
            </button>
          </span>
        ))}
        <button
          type="button"
          data-fw="interval-add"
          onClick={() =>
            onChange([...intervals, last ? { start: last.end, end: "24:00" } : { start: "09:00", end: "17:00" }])
          }
        >
          + hours
        </button>
        {problem && (
          <span className="field-error" role="alert" data-fw="day-error">
            {problem}
          </span>
        )}
      </td>
    </tr>
  );
}
