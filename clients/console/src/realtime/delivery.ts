/**
 * How the operator's messages get stored exactly once: the outbox, an ack timer per message on the wire
 * (no ack within 10 s: sent again with the same client_msg_id), and a pause when the server asks to wait
 * (`rate_limited` with `retry_after`, or a retryable refusal such as `service_unavailable`).
 */

import type { ClientFrame, ServerFrame } from "../types";
import { Outbox, type PendingMessage } from "./outbox";
import type { SocketTimers } from "./transport";

export interface DeliveryOptions {
  /** Writes a frame on the open, authenticated socket; false when it could not. */
  write: (frame: ClientFrame) => boolean;
  connected: () => boolean;
  /** The list changed (for the UI). */
  changed: (pending: PendingMessage[]) => void;
  timers: SocketTimers;
  now: () => number;
  newId: () => string;
  ackTimeoutMs?: number;
  retryDelayMs?: number;
}

type ErrorFrame = Extract<ServerFrame, { type: "error" }>;

export class Delivery {
  private readonly outbox: Outbox;
  /** Messages on the wire of the current socket, with their ack timers. */
  private readonly inFlight = new Map<string, unknown>();
  /** Nothing is sent before this time (epoch ms). */
  private holdUntil = 0;
  private holdTimer: unknown = null;

  constructor(private readonly options: DeliveryOptions) {
    this.outbox = new Outbox(options.newId, options.now);
  }

  list(): PendingMessage[] {
    return this.outbox.list();
  }

  add(conversationId: string, text: string, quoteSeq?: number): PendingMessage {
    const entry = this.outbox.add(conversationId, text, quoteSeq);
    this.transmit(entry);
    this.emit();
    return entry;
  }

  retry(clientMsgId: string): void {
    const entry = this.outbox.retry(clientMsgId);
    if (!entry) return;
    this.transmit(entry);
    this.emit();
  }

  /** Stored (ack, its stored copy seen) or discarded: no longer sent, no longer shown. */
  remove(clientMsgIds: Iterable<string>): void {
    let changed = false;
    for (const id of clientMsgIds) {
      this.stopWaiting(id);
      changed = this.outbox.remove(id) || changed;
    }
    if (changed) this.emit();
  }

  /** Every pending message not on the wire of this socket, in the order they were written. */
  flush(): void {
    for (const entry of this.outbox.sending()) if (!this.inFlight.has(entry.client_msg_id)) this.transmit(entry);
  }

  /** The socket went away: what was on the wire goes out again on the next one. */
  socketClosed(): void {
    for (const id of [...this.inFlight.keys()]) this.stopWaiting(id);
  }

  /** An error frame: a retryable refusal waits (retry_after, else retryDelayMs) and is sent again. */
  refused(frame: ErrorFrame): void {
    const wait = frame.retry_after && frame.retry_after > 0 ? frame.retry_after * 1000 : 0;
    const pause = wait || (this.options.retryDelayMs ?? 2000);
    if (frame.code === "rate_limited") this.hold(pause);
    if (!frame.client_msg_id) return;
    this.stopWaiting(frame.client_msg_id);
    const entry = this.outbox.refuse(frame.client_msg_id, frame);
    if (!entry) return; // acked meanwhile: never shown as failed
    if (entry.status === "sending") this.hold(pause);
    this.emit();
  }

  stop(): void {
    this.socketClosed();
    if (this.holdTimer !== null) this.options.timers.clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  private hold(ms: number): void {
    const { timers, now } = this.options;
    this.holdUntil = Math.max(this.holdUntil, now() + ms);
    if (this.holdTimer !== null) timers.clearTimeout(this.holdTimer);
    this.holdTimer = timers.setTimeout(() => {
      this.holdTimer = null;
      this.flush();
    }, this.holdUntil - now());
  }

  /** Sends one message (unless the server asked to wait) and waits for its ack; none in time: again. */
  private transmit(entry: PendingMessage): void {
    const { options } = this;
    if (entry.status !== "sending" || !options.connected() || options.now() < this.holdUntil) return;
    const sent = options.write({
      type: "message.send",
      conversation_id: entry.conversation_id,
      client_msg_id: entry.client_msg_id,
      text: entry.text,
      ...(entry.quote_seq ? { quote_seq: entry.quote_seq } : {}),
    });
    if (!sent) return;
    const id = entry.client_msg_id;
    this.stopWaiting(id);
    this.inFlight.set(
      id,
      options.timers.setTimeout(() => {
        this.inFlight.delete(id);
        const current = this.outbox.get(id);
        if (current) this.transmit(current);
      }, options.ackTimeoutMs ?? 10_000),
    );
  }

  private stopWaiting(clientMsgId: string): void {
    const timer = this.inFlight.get(clientMsgId);
    if (timer !== undefined) this.options.timers.clearTimeout(timer);
    this.inFlight.delete(clientMsgId);
  }

  private emit(): void {
    this.options.changed(this.outbox.list());
  }
}
