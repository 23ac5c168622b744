/**
 * The operator's one WebSocket (`/ws/operator`): authenticates in its first frame
 * (`{"type":"auth","token"}`) and counts as open only after `auth.ok`; a close with 1008 makes the next
 * attempt use a refreshed token. Reconnects with exponential backoff (and at once on `online` / a visible
 * tab), resumes every loaded conversation from its highest contiguous seq (and again on a `resync` frame),
 * and keeps an outbox of sent messages until their `message.ack`: one without an ack within 10 s, or
 * refused for a reason that passes, is sent again with the same client_msg_id (the server stores it once).
 */

import type { ClientFrame, ServerFrame } from "../types";
import { Delivery } from "./delivery";
import type { PendingMessage } from "./outbox";
import {
  Backoff,
  browserSocket,
  browserTimers,
  type SocketFactory,
  type SocketLike,
  type SocketTimers,
} from "./transport";
import type { ConnectionStatus, OperatorSocketOptions, SocketEvent } from "./options";

export type { PendingMessage } from "./outbox";
export type { ConnectionStatus, OperatorSocketOptions, ResumePoint, SocketEvent } from "./options";
export { operatorSocketUrl, type SocketFactory, type SocketLike, type SocketTimers } from "./transport";

const OPEN = 1;
const POLICY_VIOLATION = 1008;

export class OperatorSocket {
  private readonly options: OperatorSocketOptions;
  private readonly timers: SocketTimers;
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private readonly createSocket: SocketFactory;
  private readonly delivery: Delivery;
  private readonly listeners = new Set<(event: SocketEvent) => void>();
  private socket: SocketLike | null = null;
  private running = false;
  /** The current socket got `auth.ok`. */
  private authed = false;
  private openedAt = 0;
  private lastFrameAt = 0;
  private everOpened = false;
  private renewToken = false;
  private retryTimer: unknown = null;
  private authTimer: unknown = null;
  private heartbeat: unknown = null;
  /** Conversations with a resume on its way: its after_seq and timer. */
  private readonly resuming = new Map<string, { after: number; timer: unknown }>();
  /** The after_seq of the last resume answered (resume.done) on this socket, per conversation. */
  private readonly answered = new Map<string, number>();
  private status: ConnectionStatus = "idle";

  constructor(options: OperatorSocketOptions) {
    this.options = options;
    this.timers = options.timers ?? browserTimers;
    this.now = options.now ?? Date.now;
    this.backoff = new Backoff(options.baseDelayMs ?? 500, options.maxDelayMs ?? 30_000, options.random ?? Math.random);
    this.createSocket = options.createSocket ?? browserSocket;
    this.delivery = new Delivery({
      write: (frame) => this.write(frame),
      connected: () => this.connected,
      changed: (pending) => this.emit({ type: "outbox", pending }),
      timers: this.timers,
      now: this.now,
      newId: options.newId ?? (() => crypto.randomUUID()),
      ackTimeoutMs: options.ackTimeoutMs,
      retryDelayMs: options.retryDelayMs,
    });
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  get pending(): PendingMessage[] {
    return this.delivery.list();
  }

  /** Open and authenticated. */
  get connected(): boolean {
    return this.authed && !!this.socket && this.socket.readyState === OPEN;
  }

  on(listener: (event: SocketEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.clearRetry();
    const socket = this.socket;
    this.socket = null;
    this.forgetSocket();
    this.delivery.stop();
    if (socket) {
      detach(socket);
      socket.close(1000, "logout");
    }
    this.setStatus("idle");
  }

  /** Queue a message; it is sent now if the socket is open, else after the next open. */
  send(conversationId: string, text: string, quoteSeq?: number): PendingMessage {
    return this.delivery.add(conversationId, text, quoteSeq);
  }

  /** Send a failed message again, with its original client_msg_id. */
  retry(clientMsgId: string): void {
    this.delivery.retry(clientMsgId);
  }

  discard(clientMsgId: string): void {
    this.delivery.remove([clientMsgId]);
  }

  /** These messages are stored (seen in a history page): nothing to send or show as pending any more. */
  settle(clientMsgIds: Iterable<string>): void {
    this.delivery.remove(clientMsgIds);
  }

  /** Hand the socket a refreshed access token so the server does not close it at expiry. */
  refreshToken(token: string): void {
    if (this.connected) this.write({ type: "auth.refresh", token });
  }

  /**
   * Ask for every message of a conversation after `afterSeq`; at most one resume per conversation on its
   * way unless `force` (resync). False when not sent (not connected, or one is on its way).
   */
  resume(conversationId: string, afterSeq: number, force = false): boolean {
    if (!this.connected) return false;
    if (!force && this.resuming.has(conversationId)) return false;
    // the same range was answered without filling the hole (should not happen): not again in a loop;
    // the next reconnect or resync asks again
    if (!force && this.answered.get(conversationId) === afterSeq) return false;
    if (!this.write({ type: "resume", conversation_id: conversationId, after_seq: afterSeq })) return false;
    this.clearResume(conversationId);
    const timer = this.timers.setTimeout(() => {
      this.resuming.delete(conversationId);
      this.emit({ type: "resume.lost", conversationId });
    }, this.options.resumeTimeoutMs ?? 10_000);
    this.resuming.set(conversationId, { after: afterSeq, timer });
    return true;
  }

  /** Send a frame that needs no answer (typing, read: `typing.ts`); false when not connected. */
  signal(frame: ClientFrame): boolean {
    return this.connected && this.write(frame);
  }

  isResuming(conversationId: string): boolean {
    return this.resuming.has(conversationId);
  }

  /** The network is back or the tab became visible: reconnect now instead of waiting, or probe. */
  wake(): void {
    if (!this.running) return;
    if (this.connected) {
      this.write({ type: "ping" });
      return;
    }
    if (this.retryTimer !== null) {
      this.clearRetry();
      this.backoff.reset();
      void this.connect();
    }
  }

  /** Reconnect on `online` and when the tab becomes visible; returns the detach function. */
  watch(win: Window, doc: Document): () => void {
    const onOnline = () => this.wake();
    const onVisible = () => {
      if (doc.visibilityState === "visible") this.wake();
    };
    win.addEventListener("online", onOnline);
    doc.addEventListener("visibilitychange", onVisible);
    return () => {
      win.removeEventListener("online", onOnline);
      doc.removeEventListener("visibilitychange", onVisible);
    };
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.setStatus("connecting");
    let token: string | null;
    try {
      token = await this.options.token(this.renewToken);
      this.renewToken = false;
    } catch {
      token = null;
      if (this.running) return this.scheduleReconnect();
    }
    if (!this.running) return;
    if (!token) return this.stop();
    const socket = this.createSocket(this.options.url());
    this.socket = socket;
    this.authed = false;
    socket.onopen = () => this.handleOpen(socket, token);
    socket.onmessage = (event) => this.handleMessage(socket, event);
    socket.onclose = (event) => this.handleClose(socket, event);
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
  }

  /** Connected: the token goes in the first frame; nothing else until the server answers auth.ok. */
  private handleOpen(socket: SocketLike, token: string): void {
    if (socket !== this.socket) return;
    this.openedAt = this.lastFrameAt = this.now();
    this.write({ type: "auth", token });
    this.authTimer = this.timers.setTimeout(() => {
      this.authTimer = null;
      if (socket !== this.socket || this.authed) return;
      socket.close(4000, "no auth.ok");
      this.handleClose(socket);
    }, this.options.authTimeoutMs ?? 10_000);
  }

  private handleAuthed(): void {
    this.authed = true;
    this.clearAuthTimer();
    this.setStatus("open");
    this.resumeAll(false);
    this.delivery.flush();
    this.startHeartbeat();
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.emit({ type: "open", reconnect });
  }

  private resumeAll(force: boolean): void {
    const seen = new Set<string>();
    for (const point of this.options.resumePoints()) {
      if (seen.has(point.conversation_id)) continue;
      seen.add(point.conversation_id);
      this.resume(point.conversation_id, point.after_seq, force);
    }
  }

  private handleMessage(socket: SocketLike, event: MessageEvent): void {
    if (socket !== this.socket) return;
    this.lastFrameAt = this.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(event.data)) as ServerFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
    if (!this.authed) {
      if (frame.type === "auth.ok") this.handleAuthed();
      return; // nothing counts before the server took the token
    }
    if (frame.type === "resume.done") {
      // before the listeners look for gaps still open
      const resumed = this.resuming.get(frame.conversation_id);
      if (resumed) this.answered.set(frame.conversation_id, resumed.after);
      this.clearResume(frame.conversation_id);
    }
    // The frame first: the store then holds the stored message before the pending copy goes away.
    this.emit({ type: "frame", frame });
    if (frame.type === "message.ack") {
      this.delivery.remove([frame.client_msg_id]);
    } else if (frame.type === "message.created" && frame.message.client_msg_id) {
      // Our own message, stored: no need to send it again even if the ack got lost.
      this.delivery.remove([frame.message.client_msg_id]);
    } else if (frame.type === "resync") {
      // Frames may have been lost on the server's side: everything after what we hold, again.
      this.resumeAll(true);
    } else if (frame.type === "error") {
      this.delivery.refused(frame);
    }
  }

  private handleClose(socket: SocketLike, event?: CloseEvent): void {
    if (socket !== this.socket) return;
    // Token refused, expired or for someone else: connect with a refreshed token next time.
    if (event?.code === POLICY_VIOLATION) this.renewToken = true;
    detach(socket);
    this.socket = null;
    this.forgetSocket();
    if (this.openedAt && this.now() - this.openedAt >= (this.options.stableAfterMs ?? 10_000)) this.backoff.reset();
    this.openedAt = 0;
    if (this.running) this.scheduleReconnect();
  }

  /** What belonged to the socket that went away: the next one authenticates, resumes and re-sends. */
  private forgetSocket(): void {
    this.authed = false;
    this.clearAuthTimer();
    this.stopHeartbeat();
    this.delivery.socketClosed();
    for (const id of [...this.resuming.keys()]) this.clearResume(id);
    this.answered.clear();
  }

  private scheduleReconnect(): void {
    this.clearRetry();
    const delay = this.backoff.next();
    this.setStatus("waiting");
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const every = this.options.heartbeatMs ?? 25_000;
    const idle = this.options.idleTimeoutMs ?? 60_000;
    this.heartbeat = this.timers.setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (this.now() - this.lastFrameAt > idle) {
        // Silent for too long (a half-open connection): replace it.
        socket.close(4000, "idle");
        this.handleClose(socket);
        return;
      }
      this.write({ type: "ping" });
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) this.timers.clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearAuthTimer(): void {
    if (this.authTimer !== null) this.timers.clearTimeout(this.authTimer);
    this.authTimer = null;
  }

  private clearResume(conversationId: string): void {
    const resumed = this.resuming.get(conversationId);
    if (resumed) this.timers.clearTimeout(resumed.timer);
    this.resuming.delete(conversationId);
  }

  private write(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.emit({ type: "status", status });
  }

  private emit(event: SocketEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
}
