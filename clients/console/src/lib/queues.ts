/**
 * The department editor's logic without React: a form draft of a queue, its first checks (the server checks
 * again and has the last word: a 422 names the field) and the body it sends.
 */

import { DAYS, type Day, type Interval, type Queue, type QueueIn, type Strategy } from "../api/queues";

export interface MemberDraft {
  user_id: string;
  priority: string;
}

export interface QueueDraft {
  name: string;
  welcome_message: string;
  priority: string;
  strategy: Strategy;
  max_wait_seconds: string;
  /** Seconds an operator rests between two offers of this queue ("0": none). */
  min_gap_seconds: string;
  failover_queue_id: string;
  /** One section name or URL prefix per line. */
  sections: string;
  members: MemberDraft[];
  /** No schedule: open all the time. */
  always_open: boolean;
  time_zone: string;
  weekly: Record<Day, Interval[]>;
  holidays: string[];
  webhook_url: string;
  /** Empty on an edit: the stored secret stays. */
  webhook_secret: string;
  webhook_secret_set: boolean;
}

export const DAY_NAMES: Record<Day, string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

export const STRATEGY_NAMES: Record<Strategy, string> = {
  least_busy: "Least busy",
  round_robin: "Round robin",
  operator_priority: "By operator priority",
  cheapest_tier: "Cheapest tier first",
  sticky: "Sticky (the visitor's last operator)",
  manual: "Manual pick-up",
  external_webhook: "External router (webhook)",
};

const CLOCK = /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function emptyWeek(): Record<Day, Interval[]> {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
}

/** Weekdays 09:00-17:00, the first schedule a supervisor gets when they turn hours on. */
export function officeHours(): Record<Day, Interval[]> {
  const week = emptyWeek();
  for (const day of ["mon", "tue", "wed", "thu", "fri"] as const) week[day] = [{ start: "09:00", end: "17:00" }];
  return week;
}

export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function newDraft(): QueueDraft {
  return {
    name: "",
    welcome_message: "",
    priority: "0",
    strategy: "least_busy",
    max_wait_seconds: "60",
    min_gap_seconds: "0",
    failover_queue_id: "",
    sections: "",
    members: [],
    always_open: true,
    time_zone: localTimeZone(),
    weekly: officeHours(),
    holidays: [],
    webhook_url: "",
    webhook_secret: "",
    webhook_secret_set: false,
  };
}

export function draftOf(queue: Queue): QueueDraft {
  return {
    name: queue.name,
    welcome_message: queue.welcome_message ?? "",
    priority: String(queue.priority),
    strategy: queue.strategy,
    max_wait_seconds: String(queue.max_wait_seconds),
    min_gap_seconds: String(queue.min_gap_seconds ?? 0),
    failover_queue_id: queue.failover_queue_id ?? "",
    sections: queue.sections.join("\n"),
    members: queue.members.map((m) => ({ user_id: m.user_id, priority: String(m.priority) })),
    always_open: queue.hours === null,
    time_zone: queue.hours?.time_zone ?? localTimeZone(),
    weekly: queue.hours ? { ...emptyWeek(), ...queue.hours.weekly } : officeHours(),
    holidays: queue.hours ? [...queue.hours.holidays] : [],
    webhook_url: queue.webhook_url ?? "",
    webhook_secret: "",
    webhook_secret_set: queue.webhook_secret_set,
  };
}

const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

function intRange(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const value = Number(text.trim());
  return value >= min && value <= max ? value : null;
}

/** Problems of one day's intervals: malformed, ending before they start, overlapping. */
export function dayProblems(intervals: readonly Interval[]): string[] {
  const problems: string[] = [];
  for (const i of intervals) {
    if (!CLOCK.test(i.start) || !CLOCK.test(i.end)) problems.push(`Write times as HH:MM (24:00 ends the day).`);
    else if (minutes(i.start) >= minutes(i.end)) problems.push(`${i.start}-${i.end} ends before it starts.`);
  }
  if (problems.length > 0) return problems;
  const sorted = [...intervals].sort((a, b) => minutes(a.start) - minutes(b.start));
  for (let k = 1; k < sorted.length; k += 1) {
    if (minutes(sorted[k].start) < minutes(sorted[k - 1].end)) {
      problems.push(`${sorted[k - 1].start}-${sorted[k - 1].end} and ${sorted[k].start}-${sorted[k].end} overlap.`);
    }
  }
  return problems;
}

/** The field (as the server names it) -> what is wrong, before sending. */
export function draftProblems(draft: QueueDraft): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!draft.name.trim()) problems.name = "Give the department a name.";
  if (intRange(draft.priority, 0, 1000) === null) problems.priority = "A priority is a whole number from 0 to 1000.";
  if (intRange(draft.max_wait_seconds, 5, 86400) === null)
    problems.max_wait_seconds = "The longest wait is 5 to 86400 seconds.";
  if (intRange(draft.min_gap_seconds, 0, 3600) === null)
    problems.min_gap_seconds = "The gap between two chats is 0 to 3600 seconds.";
  draft.members.forEach((m, index) => {
    if (intRange(m.priority, 0, 1000) === null)
      problems[`members.${index}.priority`] = "A priority is a whole number from 0 to 1000.";
  });
  const ids = draft.members.map((m) => m.user_id);
  if (new Set(ids).size !== ids.length) problems.members = "An operator is listed twice.";
  if (!draft.always_open) {
    if (!draft.time_zone.trim()) problems["hours.time_zone"] = "Choose the time zone of the opening hours.";
    for (const day of DAYS) {
      const dayProblem = dayProblems(draft.weekly[day]);
      if (dayProblem.length > 0) problems[`hours.weekly.${day}`] = dayProblem.join(" ");
    }
    const bad = draft.holidays.find((h) => !DATE.test(h));
    if (bad !== undefined) problems["hours.holidays"] = `${bad} is not a date (YYYY-MM-DD).`;
  }
  if (draft.strategy === "external_webhook") {
    if (!/^https?:\/\/\S+$/.test(draft.webhook_url.trim()))
      problems.webhook_url = "The external router needs an http(s) URL.";
    if (!draft.webhook_secret_set && draft.webhook_secret.length < 16)
      problems.webhook_secret = "The external router needs a secret of at least 16 characters.";
  }
  if (draft.webhook_secret && (draft.webhook_secret.length < 16 || draft.webhook_secret.length > 200))
    problems.webhook_secret = "A webhook secret has 16 to 200 characters.";
  return problems;
}

/** The body of POST / PUT /api/v1/queues (call once draftProblems is empty). */
export function queueBody(draft: QueueDraft): QueueIn {
  const sections = draft.sections
    .split(/\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  const body: QueueIn = {
    name: draft.name.trim(),
    welcome_message: draft.welcome_message.trim() || null,
    hours: draft.always_open
      ? null
      : {
          time_zone: draft.time_zone.trim(),
          weekly: draft.weekly,
          holidays: [...new Set(draft.holidays)].sort(),
        },
    priority: Number(draft.priority),
    strategy: draft.strategy,
    max_wait_seconds: Number(draft.max_wait_seconds),
    min_gap_seconds: Number(draft.min_gap_seconds),
    failover_queue_id: draft.failover_queue_id || null,
    sections,
    members: draft.members.map((m) => ({ user_id: m.user_id, priority: Number(m.priority) })),
    webhook_url: draft.webhook_url.trim() || null,
  };
  if (draft.webhook_secret) body.webhook_secret = draft.webhook_secret;
  return body;
}

/** A 422's details as field -> message (pydantic's "Value error, " prefix dropped). */
export function serverProblems(details: unknown): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!Array.isArray(details)) return problems;
  for (const d of details as Array<{ field?: unknown; message?: unknown }>) {
    if (typeof d?.message !== "string") continue;
    const field = typeof d.field === "string" && d.field ? d.field : "form";
    const text = d.message.replace(/^Value error, /, "");
    problems[field] = problems[field] ? `${problems[field]} ${text}` : text;
  }
  return problems;
}
