/**
 * Messages sent by the operator and not yet acknowledged by the server, oldest first. An entry is
 * "sending" until its ack (or its stored copy) arrives; a retryable refusal (`service_unavailable`,
 * `rate_limited`) keeps it "sending" with the reason in `retrying`; any other refusal (`internal_error`
 * included) makes it "failed", sent again only when the operator asks.
 */

export interface PendingMessage {
  conversation_id: string;
  client_msg_id: string;
  text: string;
  /** A quote-reply (CHAT-5): the seq of the message it quotes. */
  quote_seq?: number;
  /** Epoch milliseconds when the operator sent it. */
  queued_at: number;
  status: "sending" | "failed";
  error?: { code: string; message: string };
  /** Still sending, after a refusal that passes: why it was not stored yet. */
  retrying?: { code: string; message: string };
}

/** Codes worth sending again when an error frame does not say `retryable` (an older gateway). */
const RETRYABLE = new Set(["service_unavailable", "rate_limited"]);

export interface Refusal {
  code: string;
  message: string;
  retryable?: boolean;
}

export function isRetryable(refusal: Refusal): boolean {
  return typeof refusal.retryable === "boolean" ? refusal.retryable : RETRYABLE.has(refusal.code);
}

export class Outbox {
  private readonly entries = new Map<string, PendingMessage>();

  constructor(
    private readonly newId: () => string,
    private readonly now: () => number,
  ) {}

  add(conversationId: string, text: string, quoteSeq?: number): PendingMessage {
    const entry: PendingMessage = {
      conversation_id: conversationId,
      client_msg_id: this.newId(),
      text,
      ...(quoteSeq ? { quote_seq: quoteSeq } : {}),
      queued_at: this.now(),
      status: "sending",
    };
    this.entries.set(entry.client_msg_id, entry);
    return entry;
  }

  get(clientMsgId: string): PendingMessage | undefined {
    return this.entries.get(clientMsgId);
  }

  /** Entries to (re)send after an open: everything not failed, in the order they were written. */
  sending(): PendingMessage[] {
    return this.list().filter((entry) => entry.status === "sending");
  }

  list(): PendingMessage[] {
    return [...this.entries.values()];
  }

  /** Stored (ack, or the message seen with its client_msg_id), or discarded: gone, failed or not. */
  remove(clientMsgId: string): boolean {
    return this.entries.delete(clientMsgId);
  }

  /**
   * The server refused it: still sending (retryable) or failed. Returns the entry, or null when it is not
   * pending (acked meanwhile: an acked message is never shown as failed).
   */
  refuse(clientMsgId: string, refusal: Refusal): PendingMessage | null {
    const entry = this.entries.get(clientMsgId);
    if (!entry || entry.status !== "sending") return null;
    const reason = { code: refusal.code, message: refusal.message };
    const next: PendingMessage = isRetryable(refusal)
      ? { ...entry, retrying: reason }
      : { ...entry, status: "failed", error: reason, retrying: undefined };
    this.entries.set(clientMsgId, next);
    return next;
  }

  retry(clientMsgId: string): PendingMessage | null {
    const entry = this.entries.get(clientMsgId);
    if (!entry) return null;
    const again: PendingMessage = { ...entry, status: "sending", error: undefined };
    this.entries.set(clientMsgId, again);
    return again;
  }
}
