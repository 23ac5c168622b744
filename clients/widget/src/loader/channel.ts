/**
 * The tab's one visitor socket (`/ws/visitor`): opened once a page view is recorded (or when the chat needs it),
 * authenticated by its first frame, reconnecting with backoff and jitter (`Connection`), and shared: the
 * invitations listen to it, and the chat bundle, once loaded, uses it instead of opening a second one.
 * It holds the visitor token: a close with 1008 (token refused or expired) opens a new widget session before
 * the next attempt, and shortly before the token expires a fresh one is handed over with `auth.refresh`.
 */
import { createConnection, type SocketFactory, visitorSocketUrl } from "../shared/connection";
import { openSession } from "../shared/session";
import type { ChannelListener, VisitorChannel, WidgetSession } from "../shared/types";

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ChannelOptions {
  baseUrl: string;
  siteKey: string;
  token: string;
  /** Seconds until `token` expires. */
  expiresIn?: number;
  factory?: SocketFactory;
  random?: () => number;
  /** A new widget session (tests); by default `POST /api/v1/widget/session`. */
  renew?: () => Promise<WidgetSession | null>;
}

export function createChannel(options: ChannelOptions): VisitorChannel {
  const listeners = new Set<ChannelListener>();
  let token = options.token;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let started = false;

  const each = (call: (listener: ChannelListener) => void) => {
    for (const listener of [...listeners]) {
      try {
        call(listener);
      } catch {
        /* one listener's failure is not the others' */
      }
    }
  };

  /** A new widget session: a fresh visitor token (null when the gateway cannot give one now). */
  const renew = async (): Promise<string | null> => {
    const session = await (options.renew ?? (() => openSession(options.baseUrl, options.siteKey)))();
    if (!session) return null;
    token = session.visitor_token;
    schedule(session.expires_in);
    return token;
  };

  const schedule = (expiresIn: number | undefined) => {
    clearTimeout(refreshTimer);
    const wait = (expiresIn || 0) * 900; // at 90% of its lifetime
    refreshTimer =
      wait > 0 && wait < MAX_TIMER_MS
        ? setTimeout(() => void renew().then((fresh) => fresh && connection.send({ type: "auth.refresh", token: fresh })), wait)
        : undefined;
  };

  const connection = createConnection({
    url: () => visitorSocketUrl(options.baseUrl),
    token: (refused) => (refused ? renew().then((fresh) => fresh ?? token) : token),
    onOpen: () => each((l) => l.open?.()),
    onFrame: (frame) => each((l) => l.frame?.(frame)),
    onStatus: (connected) => each((l) => l.status?.(connected)),
    onClose: (code, reason) => each((l) => l.close?.(code, reason)),
    factory: options.factory,
    random: options.random,
  });
  schedule(options.expiresIn);

  return {
    get connected() {
      return connection.connected;
    },
    token: () => token,
    start() {
      if (started) return;
      started = true;
      connection.start();
    },
    send: (frame) => connection.send(frame),
    listen(listener) {
      listeners.add(listener);
      if (connection.connected) {
        try {
          listener.open?.();
        } catch {
          /* as above */
        }
      }
      return () => void listeners.delete(listener);
    },
  };
}
