/**
 * The operator's one WebSocket (`/ws/operator?token=...`): reconnects with exponential backoff (and at
 * once on `online` / a visible tab), resumes every loaded conversation from its last seq, and keeps an
 * outbox of sent messages until their `message.ack`, re-sending them with the same client_msg_id
 * after a reconnect so the server stores each one exactly once.
 */

import type { ClientFrame, ServerFrame } from "../types";
import { Outbox, type PendingMessage } from "./outbox";
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
  private readonly outbox: Outbox;
  private readonly listeners = new Set<(event: SocketEvent) => void>();
  private socket: SocketLike | null = null;
  private running = false;
  private openedAt = 0;
  private lastFrameAt = 0;
  private everOpened = false;
  private renewToken = false;
  private retryTimer: unknown = null;
  private heartbeat: unknown = null;
  private status: ConnectionStatus = "idle";

  constructor(options: OperatorSocketOptions) {
    this.options = options;
    this.timers = options.timers ?? browserTimers;
    this.now = options.now ?? Date.now;
    this.backoff = new Backoff(options.baseDelayMs ?? 500, options.maxDelayMs ?? 30_000, options.random ?? Math.random);
    this.createSocket = options.createSocket ?? browserSocket;
    this.outbox = new Outbox(options.newId ?? (() => crypto.randomUUID()), this.now);
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  get pending(): PendingMessage[] {
    return this.outbox.list();
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
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      socket.close(1000, "logout");
    }
    this.setStatus("idle");
  }

  /** Queue a message; it is sent now if the socket is open, else after the next open. */
  send(conversationId: string, text: string): PendingMessage {
    const entry = this.outbox.add(conversationId, text);
    this.transmit(entry);
    this.emitOutbox();
    return entry;
  }

  /** Send a failed message again, with its original client_msg_id. */
  retry(clientMsgId: string): void {
    const entry = this.outbox.retry(clientMsgId);
    if (!entry) return;
    this.transmit(entry);
    this.emitOutbox();
  }

  discard(clientMsgId: string): void {
    if (this.outbox.remove(clientMsgId)) this.emitOutbox();
  }

  /** Hand the socket a refreshed access token so the server does not close it at expiry. */
  refreshToken(token: string): void {
    this.write({ type: "auth.refresh", token });
  }

  /** The network is back or the tab became visible: reconnect now instead of waiting, or probe. */
  wake(): void {
    if (!this.running) return;
    if (this.socket && this.socket.readyState === OPEN) {
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
    const socket = this.createSocket(this.options.url(token));
    this.socket = socket;
    socket.onopen = () => this.handleOpen(socket);
    socket.onmessage = (event) => this.handleMessage(socket, event);
    socket.onclose = (event) => this.handleClose(socket, event);
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
  }

  private handleOpen(socket: SocketLike): void {
    if (socket !== this.socket) return;
    this.openedAt = this.lastFrameAt = this.now();
    this.setStatus("open");
    const seen = new Set<string>();
    for (const point of this.options.resumePoints()) {
      if (seen.has(point.conversation_id)) continue;
      seen.add(point.conversation_id);
      this.write({ type: "resume", conversation_id: point.conversation_id, after_seq: point.after_seq });
    }
    for (const entry of this.outbox.sending()) this.transmit(entry);
    this.startHeartbeat();
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.emit({ type: "open", reconnect });
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
    // The frame first: the store then holds the stored message before the pending copy goes away.
    this.emit({ type: "frame", frame });
    let changed = false;
    if (frame.type === "message.ack") {
      changed = this.outbox.remove(frame.client_msg_id);
    } else if (frame.type === "message.created" && frame.message.client_msg_id) {
      // Our own message, stored: no need to send it again even if the ack got lost.
      changed = this.outbox.remove(frame.message.client_msg_id);
    } else if (frame.type === "error" && frame.client_msg_id) {
      changed = this.outbox.fail(frame.client_msg_id, frame.code, frame.message);
    }
    if (changed) this.emitOutbox();
  }

  private handleClose(socket: SocketLike, event?: CloseEvent): void {
    if (socket !== this.socket) return;
    // "token expired" / "The token is not valid.": connect with a refreshed token next time.
    if (event?.code === POLICY_VIOLATION && /token/i.test(event.reason ?? "")) this.renewToken = true;
    detach(socket);
    this.socket = null;
    this.stopHeartbeat();
    if (this.openedAt && this.now() - this.openedAt >= (this.options.stableAfterMs ?? 10_000)) this.backoff.reset();
    this.openedAt = 0;
    if (this.running) this.scheduleReconnect();
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

  private transmit(entry: PendingMessage): void {
    if (entry.status !== "sending") return;
    this.write({
      type: "message.send",
      conversation_id: entry.conversation_id,
      client_msg_id: entry.client_msg_id,
      text: entry.text,
    });
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

  private emitOutbox(): void {
    this.emit({ type: "outbox", pending: this.outbox.list() });
  }

  private emit(event: SocketEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
}
