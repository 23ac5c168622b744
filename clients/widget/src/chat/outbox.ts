/**
 * Visitor messages on their way out: the persisted pending queue, which of them went out on the
 * current socket (and when: one without an ack within 10 s goes out again, with the same client_msg_id),
 * the ones waiting after a retryable refusal (`service_unavailable`, `rate_limited` after its
 * `retry_after`), and the ones refused for good (shown as "not sent", with a retry button).
 * A message the server stored (ack, or seen with its client_msg_id) leaves every list, failed included.
 */
import { type KeyValueStorage, storageKey } from "../shared/storage";
import type { Frame } from "./connection";
import { type PendingMessage, PendingQueue } from "./store";

/** Codes worth sending again when an error frame does not say `retryable` (an older gateway). */
const RETRYABLE = new Set(["service_unavailable", "rate_limited"]);
export const ACK_TIMEOUT_MS = 10_000;

export interface FailedMessage extends PendingMessage {
  error: string;
}

/** Still pending, but refused once for a reason that passes: the code, for the view. */
export type RetryingMessage = PendingMessage & { retrying?: string };

export interface OutboxOptions {
  /** A message got no ack this long after it went out: it is sent again. */
  ackTimeoutMs?: number;
  /** Something is due again (an ack timed out): the caller flushes. */
  onDue?: () => void;
}

/** What an error frame about a message.send means for it. */
export type Refusal = { outcome: "retry"; delayMs: number } | { outcome: "failed" } | null;

export class Outbox {
  readonly queue: PendingQueue;
  failed: FailedMessage[] = [];
  /** client_msg_ids sent on the current socket, with their ack timers; the next socket sends them again. */
  private sent = new Map<string, ReturnType<typeof setTimeout>>();
  /** client_msg_id -> the retryable code it was refused with last. */
  private retrying = new Map<string, string>();
  /** Nothing is sent before this time (epoch ms): the server asked to wait. */
  private holdUntil = 0;

  constructor(
    storage: KeyValueStorage | null,
    siteKey: string,
    private readonly send: (frame: Frame) => boolean,
    private readonly options: OutboxOptions = {},
  ) {
    this.queue = new PendingQueue(storage, storageKey("pending", siteKey));
  }

  find(clientMsgId: string | null | undefined): PendingMessage | undefined {
    return this.queue.list().find((p) => p.client_msg_id === clientMsgId);
  }

  /** Pending messages, those waiting after a retryable refusal marked with its code. */
  pending(): RetryingMessage[] {
    return this.queue.list().map((p) => (this.retrying.has(p.client_msg_id) ? { ...p, retrying: this.retrying.get(p.client_msg_id) } : p));
  }

  /** The server stored it (ack, or the message came back with this client_msg_id): never shown as failed. */
  settle(clientMsgId: string | null | undefined): boolean {
    if (!clientMsgId) return false;
    this.unsend(clientMsgId);
    this.retrying.delete(clientMsgId);
    const wasFailed = this.failed.some((f) => f.client_msg_id === clientMsgId);
    if (wasFailed) this.failed = this.failed.filter((f) => f.client_msg_id !== clientMsgId);
    return this.queue.remove(clientMsgId) !== null || wasFailed;
  }

  /** A new socket: everything still pending must be sent on it again. */
  socketOpened(): void {
    for (const id of [...this.sent.keys()]) this.unsend(id);
  }

  /** Milliseconds until sending is allowed again (0: now). */
  heldFor(now = Date.now()): number {
    return Math.max(0, this.holdUntil - now);
  }

  /** Sends every pending message of the conversation not yet sent on this socket, in order. */
  flush(conversationId: string): void {
    if (this.heldFor() > 0) return;
    for (const item of this.queue.forConversation(conversationId)) {
      if (this.sent.has(item.client_msg_id)) continue;
      const frame: Frame = { type: "message.send", conversation_id: conversationId, client_msg_id: item.client_msg_id, text: item.text };
      if (item.quote_seq) frame.quote_seq = item.quote_seq; // a quote-reply (CHAT-5)
      if (!this.send(frame)) return;
      const id = item.client_msg_id;
      this.sent.set(
        id,
        setTimeout(() => {
          // no ack: it may be lost (a server restart), the same client_msg_id is safe to send again
          this.sent.delete(id);
          this.options.onDue?.();
        }, this.options.ackTimeoutMs ?? ACK_TIMEOUT_MS),
      );
    }
  }

  /**
   * The server answered a message.send with an error frame: send it again later (retryable, after
   * `retry_after` seconds for `rate_limited`), or give it up (shown as failed, with a retry button).
   */
  refused(frame: Frame, retryDelayMs: number): Refusal {
    const item = this.find(frame.client_msg_id as string | undefined);
    if (!item) return null; // acked meanwhile, or not ours: an acked message is never shown as failed
    const code = String(frame.code || "error");
    const retryable = typeof frame.retryable === "boolean" ? frame.retryable : RETRYABLE.has(code);
    if (!retryable) {
      this.giveUp(item, code);
      return { outcome: "failed" };
    }
    this.unsend(item.client_msg_id);
    this.retrying.set(item.client_msg_id, code);
    const after = Number(frame.retry_after);
    const delayMs = after > 0 && isFinite(after) ? Math.ceil(after * 1000) : retryDelayMs;
    this.holdUntil = Math.max(this.holdUntil, Date.now() + delayMs);
    return { outcome: "retry", delayMs: this.heldFor() };
  }

  giveUp(item: PendingMessage, error: string): void {
    this.unsend(item.client_msg_id);
    this.retrying.delete(item.client_msg_id);
    this.queue.remove(item.client_msg_id);
    this.failed.push({ ...item, error });
  }

  takeFailed(clientMsgId: string): FailedMessage | null {
    const item = this.failed.find((f) => f.client_msg_id === clientMsgId) || null;
    if (item) this.failed = this.failed.filter((f) => f !== item);
    return item;
  }

  /** Stops every ack timer (the chat goes away). */
  dispose(): void {
    this.socketOpened();
  }

  private unsend(clientMsgId: string): void {
    const timer = this.sent.get(clientMsgId);
    if (timer !== undefined) clearTimeout(timer);
    this.sent.delete(clientMsgId);
  }
}
