/**
 * Visitor messages on their way out: the persisted pending queue, which of them went out on the
 * current socket, and the ones the server refused (shown as "not sent", with a retry).
 */
import { type KeyValueStorage, storageKeys } from "../shared/storage";
import type { Frame } from "./connection";
import { type PendingMessage, PendingQueue } from "./store";

/** Socket error codes that mean "the server had trouble, send it again later". */
const RETRYABLE = new Set(["internal_error", "service_unavailable", "rate_limited"]);

export interface FailedMessage extends PendingMessage {
  error: string;
}

export class Outbox {
  readonly queue: PendingQueue;
  failed: FailedMessage[] = [];
  /** client_msg_ids sent on the current socket; the next socket sends them again. */
  private sent = new Set<string>();

  constructor(
    storage: KeyValueStorage | null,
    siteKey: string,
    private readonly send: (frame: Frame) => boolean,
  ) {
    this.queue = new PendingQueue(storage, storageKeys.pending(siteKey));
  }

  find(clientMsgId: string | null | undefined): PendingMessage | undefined {
    return this.queue.list().find((p) => p.client_msg_id === clientMsgId);
  }

  /** The server stored it (ack, or the message came back with this client_msg_id). */
  settle(clientMsgId: string | null | undefined): boolean {
    if (!clientMsgId) return false;
    this.sent.delete(clientMsgId);
    return this.queue.remove(clientMsgId) !== null;
  }

  /** A new socket: everything still pending must be sent on it again. */
  socketOpened(): void {
    this.sent.clear();
  }

  /** Sends every pending message of the conversation not yet sent on this socket, in order. */
  flush(conversationId: string): void {
    for (const item of this.queue.forConversation(conversationId)) {
      if (this.sent.has(item.client_msg_id)) continue;
      const frame = { type: "message.send", conversation_id: conversationId, client_msg_id: item.client_msg_id, text: item.text };
      if (!this.send(frame)) return;
      this.sent.add(item.client_msg_id);
    }
  }

  /** The server answered a message.send with an error: send it again later, or give it up. */
  refused(code: string, clientMsgId: string | null | undefined): "retry" | "failed" | null {
    const item = this.find(clientMsgId);
    if (!item) return null;
    if (RETRYABLE.has(code)) {
      this.sent.delete(item.client_msg_id);
      return "retry";
    }
    this.giveUp(item, code);
    return "failed";
  }

  giveUp(item: PendingMessage, error: string): void {
    this.settle(item.client_msg_id);
    this.failed.push({ ...item, error });
  }

  takeFailed(clientMsgId: string): FailedMessage | null {
    const item = this.failed.find((f) => f.client_msg_id === clientMsgId) || null;
    if (item) this.failed = this.failed.filter((f) => f !== item);
    return item;
  }
}
