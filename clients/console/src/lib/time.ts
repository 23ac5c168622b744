/** Durations and clock times as the console shows them. */

/** 42 s -> "0:42", 12 min 5 s -> "12:05", 1 h 2 min 3 s -> "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${ss}`;
  return `${minutes}:${ss}`;
}

/** The local time of day of an ISO timestamp, with the date when it is not today. */
export function formatClock(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const clock = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (date.toDateString() === now.toDateString()) return clock;
  return `${date.toLocaleDateString(undefined, { day: "numeric", month: "short" })} ${clock}`;
}

export function sinceMs(iso: string | null | undefined, now: number): number {
  if (!iso) return 0;
  const start = Date.parse(iso);
  return Number.isNaN(start) ? 0 : Math.max(0, now - start);
}

export const MAX_MESSAGE_BYTES = 4096;

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
