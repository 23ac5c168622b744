/**
 * Typing signals and read marks in the console (CHAT-4, EMB-8), without React.
 * - The visitor types: `conversation.typing` frames, with their draft when the site allows sneak-peek; shown
 *   `SHOWN_FOR_MS` after the last one, until it says it stopped or the visitor's message arrives.
 * - The operator types: a `typing` frame at most every `TYPING_EVERY_MS` per conversation; an emptied composer
 *   says it stopped.
 * - Read marks: the visitor's (`conversation.read`, also sent again with every resume) tick the operators'
 *   messages; the operator's own mark goes out when the chat is in front of them (`markRead`), only forward.
 */
import type { ClientFrame, ReadFrame, TypingFrame } from "../types";

export const TYPING_EVERY_MS = 2000;
export const SHOWN_FOR_MS = 5000;

export interface VisitorTyping {
  /** What they are writing (sneak-peek); absent when the site keeps drafts private. */
  draft?: string;
}

type Timer = ReturnType<typeof setTimeout>;

export class ConversationSignals {
  private typing = new Map<string, VisitorTyping>();
  private timers = new Map<string, Timer>();
  private reads = new Map<string, number>();
  private typedAt = new Map<string, number>();
  private readSent = new Map<string, number>();
  private listeners = new Set<() => void>();
  private version = 0;

  constructor(
    private readonly write: (frame: ClientFrame) => boolean,
    private readonly now: () => number = Date.now,
    private readonly shownForMs = SHOWN_FOR_MS,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Changes with every change (for `useSyncExternalStore`). */
  getVersion = (): number => this.version;

  typingOf(conversationId: string): VisitorTyping | undefined {
    return this.typing.get(conversationId);
  }

  /** The visitor saw the messages up to this seq (0: nothing known). */
  visitorReadSeq(conversationId: string): number {
    return this.reads.get(conversationId) ?? 0;
  }

  onTyping(frame: TypingFrame): void {
    if (frame.from !== "visitor") return;
    const id = frame.conversation_id;
    if (!frame.typing) return this.stopped(id);
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.set(
      id,
      setTimeout(() => this.stopped(id), this.shownForMs),
    );
    this.typing.set(id, frame.draft === undefined ? {} : { draft: frame.draft });
    this.changed();
  }

  onRead(frame: ReadFrame): void {
    if (frame.reader !== "visitor" || frame.seq <= this.visitorReadSeq(frame.conversation_id)) return;
    this.reads.set(frame.conversation_id, frame.seq);
    this.changed();
  }

  /** A visitor's message arrived: they are no longer "typing" it. */
  visitorMessage(conversationId: string): void {
    this.stopped(conversationId);
  }

  /** The operator's composer changed. */
  typed(conversationId: string, text: string): void {
    const last = this.typedAt.get(conversationId);
    if (!text.trim()) {
      if (last !== undefined && this.write({ type: "typing", conversation_id: conversationId, typing: false })) {
        this.typedAt.delete(conversationId);
      }
      return;
    }
    if (last !== undefined && this.now() - last < TYPING_EVERY_MS) return;
    if (this.write({ type: "typing", conversation_id: conversationId, typing: true })) {
      this.typedAt.set(conversationId, this.now());
    }
  }

  /** The operator's message went: the next keystroke is told at once. */
  sent(conversationId: string): void {
    this.typedAt.delete(conversationId);
  }

  /** The operator sees the conversation up to `seq`. */
  markRead(conversationId: string, seq: number): void {
    if (seq <= (this.readSent.get(conversationId) ?? 0)) return;
    if (this.write({ type: "read", conversation_id: conversationId, seq })) this.readSent.set(conversationId, seq);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.typing.clear();
  }

  private stopped(conversationId: string): void {
    const timer = this.timers.get(conversationId);
    if (timer) clearTimeout(timer);
    this.timers.delete(conversationId);
    if (this.typing.delete(conversationId)) this.changed();
  }

  private changed(): void {
    this.version += 1;
    for (const listener of [...this.listeners]) listener();
  }
}
