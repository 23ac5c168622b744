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
  | { type: "open"; reconnect: boolean }
  | { type: "outbox"; pending: PendingMessage[] };

export interface OperatorSocketOptions {
  /** The socket URL for an access token. */
  url: (token: string) => string;
  /**
   * The access token to connect with, refreshed if needed; null means "not logged in". `renew` is true
   * after the server closed the socket over its token (1008), so a new one must be fetched.
   */
  token: (renew: boolean) => Promise<string | null>;
  /** The last seq of every conversation whose messages are loaded, sent as `resume` on each open. */
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
  /** No frame at all for this long: the socket is considered dead and replaced. */
  idleTimeoutMs?: number;
}
