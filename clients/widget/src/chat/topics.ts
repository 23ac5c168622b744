/**
 * Topics (EMB-4, EMB-6): the account's queues as the visitor chooses among them before writing, each online or
 * not now (`GET /api/v1/queues/availability`). The chosen one goes with the first message (`queue_id`); none
 * chosen, the first listed (the account's first by queue priority, as the server would pick). A chosen topic
 * nobody can answer now is shown as unavailable with its hours: no offline form is faked.
 */
import type { OpeningHours, QueueAvailability } from "../shared/types";

export interface TopicsState {
  /** null: not known (not loaded, or the account has no queues): no picker, nothing shown as offline. */
  queues: QueueAvailability[] | null;
  chosen: QueueAvailability | null;
}

const DAY_NAMES: Array<[keyof OpeningHours["weekly"], string]> = [
  ["mon", "Mon"],
  ["tue", "Tue"],
  ["wed", "Wed"],
  ["thu", "Thu"],
  ["fri", "Fri"],
  ["sat", "Sat"],
  ["sun", "Sun"],
];

/** "Mon–Fri 09:00–17:00, Sat 10:00–14:00 (Europe/Berlin)": consecutive days with the same hours together. */
export function formatHours(hours: OpeningHours | null): string {
  if (!hours) return "";
  const spans = DAY_NAMES.map(([key, name]) => ({
    name,
    text: (hours.weekly[key] || []).map((i) => `${i.start}–${i.end}`).join(", "),
  }));
  const parts: string[] = [];
  for (let index = 0; index < spans.length; ) {
    let last = index;
    while (last + 1 < spans.length && spans[last + 1].text === spans[index].text) last += 1;
    if (spans[index].text) {
      const days = last > index ? `${spans[index].name}–${spans[last].name}` : spans[index].name;
      parts.push(`${days} ${spans[index].text}`);
    }
    index = last + 1;
  }
  return parts.length ? `${parts.join(", ")} (${hours.time_zone})` : "";
}

export class Topics {
  private queues: QueueAvailability[] | null = null;
  private chosenId: string | null = null;

  constructor(
    private readonly load: () => Promise<QueueAvailability[]>,
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Reads the availability again (a failure keeps what was known). */
  async refresh(): Promise<void> {
    try {
      const queues = await this.load();
      this.queues = queues.length ? queues : null;
    } catch {
      return;
    }
    if (this.chosenId && !this.queues?.some((q) => q.queue_id === this.chosenId)) this.chosenId = null;
    this.onChange();
  }

  choose(queueId: string): void {
    if (!this.queues?.some((q) => q.queue_id === queueId)) return;
    this.chosenId = queueId;
    this.onChange();
  }

  /** The queue the first message goes to: the chosen one, else the first listed (null: let the server pick). */
  get queueId(): string | null {
    return this.state().chosen?.queue_id ?? null;
  }

  state(): TopicsState {
    const queues = this.queues;
    const chosen = queues ? queues.find((q) => q.queue_id === this.chosenId) || queues[0] : null;
    return { queues, chosen };
  }
}
