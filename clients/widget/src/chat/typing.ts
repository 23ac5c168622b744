/**
 * Typing signals and read marks of the widget (CHAT-4, EMB-8), without the DOM but for `showMarks`.
 * - `TypingSender`: the visitor's `typing` frames, at most one per `DRAFT_EVERY_MS` with the draft when the site
 *   allows sneak-peek (the last state always goes out, trailing), else a bare "typing" at most every
 *   `TYPING_EVERY_MS`; an emptied input says it stopped.
 * - `TypingIndicator`: the other side types; shown `SHOWN_FOR_MS` after its last signal, or until it stops or
 *   its message arrives (`clear`).
 * - `showMarks`: "✓" on the visitor's stored messages (delivered), "✓✓" up to the operator's read mark.
 */
export const DRAFT_EVERY_MS = 200;
export const TYPING_EVERY_MS = 2000;
export const SHOWN_FOR_MS = 5000;
export const MAX_DRAFT = 500;

type Timer = ReturnType<typeof setTimeout> | null;

export class TypingSender {
  private last = -Infinity;
  private timer: Timer = null;
  private pending: string | null = null;
  private typing = false;

  constructor(
    private readonly send: (typing: boolean, draft?: string) => boolean,
    private readonly sneakPeek: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** The input's text changed. */
  input(text: string): void {
    if (!text.trim()) {
      this.cancel();
      if (this.typing && this.send(false)) this.typing = false;
      return;
    }
    this.pending = text.slice(0, MAX_DRAFT);
    const wait = this.last + (this.sneakPeek ? DRAFT_EVERY_MS : TYPING_EVERY_MS) - this.now();
    if (wait <= 0) this.flush();
    else if (this.sneakPeek && !this.timer) this.timer = setTimeout(() => this.flush(), wait);
  }

  /** The message went: nothing more to say (its arrival hides the indicator on the other side). */
  sent(): void {
    this.cancel();
    this.typing = false;
    this.last = -Infinity;
  }

  private flush(): void {
    this.timer = null;
    const draft = this.pending;
    if (draft === null) return;
    this.pending = null;
    if (this.send(true, this.sneakPeek ? draft : undefined)) {
      this.last = this.now();
      this.typing = true;
    }
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}

export interface TypingSignal {
  typing?: boolean;
  name?: string | null;
  draft?: string;
}

export class TypingIndicator {
  /** Who types now (null: nobody). */
  current: TypingSignal | null = null;
  private timer: Timer = null;

  constructor(
    private readonly onChange: () => void,
    private readonly shownForMs = SHOWN_FOR_MS,
  ) {}

  seen(signal: TypingSignal): void {
    if (signal.typing === false) return this.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), this.shownForMs);
    this.current = signal;
    this.onChange();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.current) return;
    this.current = null;
    this.onChange();
  }
}

/** Marks the visitor's stored messages in `list` delivered (✓) or read by an operator up to `readSeq` (✓✓). */
export function showMarks(list: HTMLElement, readSeq: number): void {
  for (const item of list.querySelectorAll<HTMLElement>('[data-fw="message"][data-sender="visitor"][data-seq]')) {
    const read = Number(item.dataset.seq) <= readSeq;
    let mark = item.querySelector<HTMLElement>('[data-fw="mark"]');
    if (!mark) {
      mark = document.createElement("span");
      mark.className = "fw-mark";
      mark.dataset.fw = "mark";
      item.append(mark);
    }
    item.dataset.read = String(read);
    mark.textContent = read ? "✓✓" : "✓";
    mark.title = read ? "Read" : "Delivered";
  }
}
