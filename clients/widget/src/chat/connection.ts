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
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A socket not open and authenticated after this long is given up and retried. */
  connectTimeoutMs?: number;
  /** After a wake-up ping, no frame within this long means the socket is dead. */
  pingTimeoutMs?: number;
  random?: () => number;
}

const OPEN = 1;
const CLOSED = 3;
const STABLE_MS = 5000;
const POLICY_VIOLATION = 1008;

export const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

export class Connection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchTimer: ReturnType<typeof setTimeout> | null = null;
  private openedAt = 0;
  private running = false;
  /** The current socket got `auth.ok`. */
  private authed = false;
  /** The server refused the last token: ask for a new one before the next attempt. */
  private renew = false;
  private connecting = false;
  private readonly wake = () => this.wakeUp();
  private readonly visible = () => {
    if (document.visibilityState === "visible") this.wakeUp();
  };

  constructor(private readonly options: ConnectionOptions) {}

  /** Open and authenticated. */
  get connected(): boolean {
    return !!this.socket && this.authed && this.socket.readyState === OPEN;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    window.addEventListener("online", this.wake);
    document.addEventListener("visibilitychange", this.visible);
    this.connect();
  }

  stop(): void {
    this.running = false;
    window.removeEventListener("online", this.wake);
    document.removeEventListener("visibilitychange", this.visible);
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    this.authed = false;
    if (socket) this.closeQuietly(socket, 1000);
    this.options.onStatus?.(false);
  }

  /** Sends a frame if the socket is open; false means "not sent, try again after the next open". */
  send(frame: Frame): boolean {
    if (!this.socket || !this.connected) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** The delay before reconnect attempt number `attempt` (0-based): 0.5 s doubling to 10 s, jittered. */
  delay(attempt: number): number {
    const min = this.options.minDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 10000;
    const base = Math.min(max, min * 2 ** attempt);
    const random = this.options.random ?? Math.random;
    return Math.max(min, Math.round(base / 2 + (random() * base) / 2));
  }

  private connect(): void {
    this.clearTimers();
    if (this.connecting) return;
    let token: string | null | Promise<string | null>;
    try {
      token = this.options.token(this.renew);
    } catch {
      token = null;
    }
    if (token && typeof token === "object") {
      this.connecting = true;
      token.then(
        (value) => this.tokenReady(value),
        () => this.tokenReady(null),
      );
    } else this.open(token);
  }

  private tokenReady(token: string | null): void {
    this.connecting = false;
    if (this.running && !this.socket && !this.retryTimer) this.open(token);
  }

  private open(token: string | null): void {
    if (!token) return this.scheduleRetry();
    this.renew = false;
    let socket: SocketLike;
    try {
      socket = (this.options.factory ?? browserSocket)(this.options.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.authed = false;
    this.openedAt = 0;
    this.watch(this.options.connectTimeoutMs ?? 10000);
    socket.onopen = () => {
      if (this.socket !== socket) return;
      try {
        socket.send(JSON.stringify({ type: "auth", token }));
      } catch {
        /* the close event follows */
      }
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      const frame = parseFrame(event.data);
      if (!this.authed) {
        if (!frame || frame.type !== "auth.ok") return; // nothing counts before the server took the token
        this.authed = true;
        this.clearWatch();
        this.attempt = 0;
        this.openedAt = Date.now();
        this.options.onStatus?.(true);
        this.options.onOpen();
        return;
      }
      this.clearWatch();
      if (frame) this.options.onFrame(frame);
    };
    socket.onerror = () => {
      if (this.socket === socket && socket.readyState !== CLOSED) this.closeQuietly(socket, 4000);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      const code = event?.code ?? 1006;
      this.socket = null;
      this.authed = false;
      this.clearWatch();
      if (code === POLICY_VIOLATION) this.renew = true;
      if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
      this.options.onStatus?.(false);
      this.options.onClose?.(code, event?.reason ?? "");
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (!this.running || this.retryTimer) return;
    const wait = this.delay(this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running && !this.socket) this.connect();
    }, wait);
  }

  private wakeUp(): void {
    if (!this.running) return;
    if (!this.socket) {
      if (this.connecting) return;
      this.attempt = 0;
      this.connect();
    } else if (this.connected && this.send({ type: "ping" })) {
      this.watch(this.options.pingTimeoutMs ?? 5000);
    }
  }

  /** Gives the current socket `ms` to show a sign of life (open or a frame), else drops it. */
  private watch(ms: number): void {
    this.clearWatch();
    const socket = this.socket;
    this.watchTimer = setTimeout(() => {
      this.watchTimer = null;
      if (socket && this.socket === socket) {
        this.socket = null;
        this.authed = false;
        this.closeQuietly(socket, 4000);
        this.options.onStatus?.(false);
        this.scheduleRetry();
      }
    }, ms);
  }

  private clearWatch(): void {
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = null;
  }

  private clearTimers(): void {
    this.clearWatch();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private closeQuietly(socket: SocketLike, code: number): void {
    try {
      socket.close(code);
    } catch {
      /* already closed */
    }
  }
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
