/**
 * The visitor socket: authenticates in its first frame (`{"type":"auth","token"}`, never in the URL) and
 * counts as open only once the server answered `auth.ok`; reconnects with exponential backoff and jitter
 * (0.5 s .. 10 s), at once when the browser comes back `online` or the page becomes visible, and checks a
 * possibly dead socket with a ping when the page wakes up. A close with 1008 (token refused or expired)
 * makes the next attempt ask for a new token. What to send once open is the caller's `onOpen`.
 */

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface Frame {
  type: string;
  [key: string]: unknown;
}

export interface ConnectionOptions {
  url: () => string;
  /**
   * The token of the `auth` frame; `renew` is true after the server closed the socket with 1008 (a token
   * refused or expired): then a new one is wanted. null: no token now, try again later.
   */
  token: (renew: boolean) => string | null | Promise<string | null>;
  /** The server accepted the token (`auth.ok`): the socket is open. */
  onOpen: () => void;
  onFrame: (frame: Frame) => void;
  onClose?: (code: number, reason: string) => void;
  onStatus?: (connected: boolean) => void;
  factory?: SocketFactory;
  /** A socket not open and authenticated after this long is given up and retried. */
  connectTimeoutMs?: number;
  /** After a wake-up ping, no frame within this long means the socket is dead. */
  pingTimeoutMs?: number;
  random?: () => number;
}

const OPEN = 1;
const CLOSED = 3;
const STABLE_MS = 5000;
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const POLICY_VIOLATION = 1008;

export const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

export interface Connection {
  /** Open and authenticated. */
  readonly connected: boolean;
  start(): void;
  stop(): void;
  /** Sends a frame if the socket is open; false means "not sent, try again after the next open". */
  send(frame: Frame): boolean;
  /** The delay before reconnect attempt number `attempt` (0-based): 0.5 s doubling to 10 s, jittered. */
  delay(attempt: number): number;
}

/** A closure rather than a class: its state minifies to short local names (the loader's size budget). */
export function createConnection(options: ConnectionOptions): Connection {
  let socket: SocketLike | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let watchTimer: ReturnType<typeof setTimeout> | null = null;
  let openedAt = 0;
  let running = false;
  /** The current socket got `auth.ok`. */
  let authed = false;
  /** The server refused the last token: ask for a new one before the next attempt. */
  let renew = false;
  let connecting = false;
  const status = (connected: boolean) => options.onStatus?.(connected);

  const connected = () => !!socket && authed && socket.readyState === OPEN;

  const delay = (n: number): number => {
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** n);
    const random = options.random ?? Math.random;
    return Math.max(MIN_DELAY_MS, Math.round(base / 2 + (random() * base) / 2));
  };

  const send = (frame: Frame): boolean => {
    if (!socket || !connected()) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  };

  const closeQuietly = (target: SocketLike, code: number) => {
    try {
      target.close(code);
    } catch {
      /* already closed */
    }
  };

  const clearWatch = () => {
    if (watchTimer) clearTimeout(watchTimer);
    watchTimer = null;
  };

  const clearTimers = () => {
    clearWatch();
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
  };

  const scheduleRetry = (): void => {
    if (!running || retryTimer) return;
    const wait = delay(attempt);
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (running && !socket) connect();
    }, wait);
  };

  /** Gives the current socket `ms` to show a sign of life (open or a frame), else drops it. */
  const watch = (ms: number) => {
    clearWatch();
    const watched = socket;
    watchTimer = setTimeout(() => {
      watchTimer = null;
      if (watched && socket === watched) {
        socket = null;
        authed = false;
        closeQuietly(watched, 4000);
        status(false);
        scheduleRetry();
      }
    }, ms);
  };

  const open = (token: string | null): void => {
    if (!token) return scheduleRetry();
    renew = false;
    let current: SocketLike;
    try {
      current = (options.factory ?? browserSocket)(options.url());
    } catch {
      return scheduleRetry();
    }
    socket = current;
    authed = false;
    openedAt = 0;
    watch(options.connectTimeoutMs ?? 10000);
    current.onopen = () => {
      if (socket !== current) return;
      try {
        current.send(JSON.stringify({ type: "auth", token }));
      } catch {
        /* the close event follows */
      }
    };
    current.onmessage = (event) => {
      if (socket !== current) return;
      const frame = parseFrame(event.data);
      if (!authed) {
        if (!frame || frame.type !== "auth.ok") return; // nothing counts before the server took the token
        authed = true;
        clearWatch();
        attempt = 0;
        openedAt = Date.now();
        status(true);
        options.onOpen();
        return;
      }
      clearWatch();
      if (frame) options.onFrame(frame);
    };
    current.onerror = () => {
      if (socket === current && current.readyState !== CLOSED) closeQuietly(current, 4000);
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      const code = event?.code ?? 1006;
      socket = null;
      authed = false;
      clearWatch();
      if (code === POLICY_VIOLATION) renew = true;
      if (openedAt && Date.now() - openedAt >= STABLE_MS) attempt = 0;
      status(false);
      options.onClose?.(code, event?.reason ?? "");
      scheduleRetry();
    };
  };

  const tokenReady = (token: string | null) => {
    connecting = false;
    if (running && !socket && !retryTimer) open(token);
  };

  function connect(): void {
    clearTimers();
    if (connecting) return;
    let token: string | null | Promise<string | null>;
    try {
      token = options.token(renew);
    } catch {
      token = null;
    }
    if (token && typeof token === "object") {
      connecting = true;
      token.then(tokenReady, () => tokenReady(null));
    } else open(token);
  }

  const wakeUp = () => {
    if (!running) return;
    if (!socket) {
      if (connecting) return;
      attempt = 0;
      connect();
    } else if (connected() && send({ type: "ping" })) {
      watch(options.pingTimeoutMs ?? 5000);
    }
  };
  const visible = () => {
    if (document.visibilityState === "visible") wakeUp();
  };

  return {
    get connected() {
      return connected();
    },
    start() {
      if (running) return;
      running = true;
      attempt = 0;
      window.addEventListener("online", wakeUp);
      document.addEventListener("visibilitychange", visible);
      connect();
    },
    stop() {
      running = false;
      window.removeEventListener("online", wakeUp);
      document.removeEventListener("visibilitychange", visible);
      clearTimers();
      const current = socket;
      socket = null;
      authed = false;
      if (current) closeQuietly(current, 1000);
      status(false);
    },
    send,
    delay,
  };
}

function parseFrame(data: unknown): Frame | null {
  if (typeof data !== "string") return null;
  try {
    const frame = JSON.parse(data) as Frame;
    return frame && typeof frame === "object" && typeof frame.type === "string" ? frame : null;
  } catch {
    return null;
  }
}

/** `ws(s)://<gateway host>/ws/visitor` from the gateway's http(s) origin (the token goes in the first frame). */
export function visitorSocketUrl(baseUrl: string): string {
  const url = new URL("/ws/visitor", baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
