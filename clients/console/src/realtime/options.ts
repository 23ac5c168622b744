/** Options and events of the operator socket. */

import type { ServerFrame } from "../types";
import type { PendingMessage } from "./outbox";
import type { SocketFactory, SocketTimers } from "./transport";

export interface ResumePoint {
  conversation_id: string;
  after_seq: number;
}

export type ConnectionStatus = "idle" | "connecting" | "open" | "waiting";

export type SocketEvent =
  | { type: "frame"; frame: ServerFrame }
  | { type: "status"; status: ConnectionStatus }
  /** Authenticated (auth.ok): the first time, or again after a reconnect. */
  | { type: "open"; reconnect: boolean }
  | { type: "outbox"; pending: PendingMessage[] }
  /** A resume got no resume.done in time: another may be sent for a gap still there. */
  | { type: "resume.lost"; conversationId: string };

export interface OperatorSocketOptions {
  /** The socket URL (no token in it: the first frame is `{"type":"auth","token"}`). */
  url: () => string;
  /**
   * The access token to connect with, refreshed if needed; null means "not logged in". `renew` is true
   * after the server closed the socket over its token (1008), so a new one must be fetched.
   */
  token: (renew: boolean) => Promise<string | null>;
  /** The highest contiguous seq of every conversation whose messages are loaded, resumed on each open. */
  resumePoints: () => ResumePoint[];
  createSocket?: SocketFactory;
  timers?: SocketTimers;
  now?: () => number;
  random?: () => number;
  newId?: () => string;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** An open socket that lived this long resets the backoff. */
  stableAfterMs?: number;
  heartbeatMs?: number;
  /** An open socket without `auth.ok` after this long is replaced. */
  authTimeoutMs?: number;
  /** A sent message without an ack after this long is sent again (same client_msg_id). */
  ackTimeoutMs?: number;
  /** After a retryable refusal without `retry_after`, wait this long before sending again. */
  retryDelayMs?: number;
  /** A resume without its resume.done after this long may be sent again. */
  resumeTimeoutMs?: number;
  /** No frame at all for this long: the socket is considered dead and replaced. */
  idleTimeoutMs?: number;
}
