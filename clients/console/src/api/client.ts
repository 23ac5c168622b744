/**
 * The REST client: JSON in and out, the Bearer access token, a refresh shortly before it expires,
 * one refresh-and-retry on a 401, and errors of the shape `{error: {code, message, details}}`.
 */

import { defaultStorage, sessionFromResponse, storageSessionStore, type Session, type SessionStore } from "./tokens";
import { call } from "./typed";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** A request that never reached the server (offline, DNS, connection reset). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super("The server cannot be reached.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  store?: SessionStore;
  now?: () => number;
  timers?: Timers;
  /** Refresh this long before the access token expires (capped at a fifth of its lifetime). */
  refreshMarginMs?: number;
  /** After a refresh that failed for a network reason, try again after this long. */
  retryRefreshMs?: number;
}

export interface RequestOptions {
  body?: unknown;
  /** Send the Bearer token (default true). */
  auth?: boolean;
}

type SessionListener = (session: Session | null, reason: "login" | "refresh" | "logout") => void;

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly store: SessionStore;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly refreshMarginMs: number;
  private readonly retryRefreshMs: number;
  private current: Session | null;
  private refreshing: Promise<Session> | null = null;
  private refreshTimer: unknown = null;
  private readonly listeners = new Set<SessionListener>();

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? "";
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.store = options.store ?? storageSessionStore(defaultStorage());
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? defaultTimers;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.retryRefreshMs = options.retryRefreshMs ?? 10_000;
    this.current = this.store.load();
  }

  get session(): Session | null {
    return this.current;
  }

  get accessToken(): string | null {
    return this.current?.accessToken ?? null;
  }

  /** Listen to login, refresh and logout; returns the unsubscribe function. */
  onSession(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start the refresh timer for a session restored from storage. */
  resume(): void {
    if (this.current) this.scheduleRefresh();
  }

  async login(email: string, password: string, accountId?: string): Promise<Session> {
    const body = accountId ? { email, password, account_id: accountId } : { email, password };
    const tokens = await call(this, "post", "/api/v1/auth/login", { body, auth: false });
    this.setSession(sessionFromResponse(tokens, this.now()), "login");
    return this.current as Session;
  }

  /**
   * The operator logs out: the tokens are forgotten at once, and the server is asked to end the session
   * (`POST /api/v1/auth/logout {refresh_token}`, which revokes the refresh token's family). A failure
   * there changes nothing for this tab: the tokens are gone either way.
   */
  logout(): Promise<void> {
    const session = this.current;
    this.forget();
    if (!session) return Promise.resolve();
    const body = { refresh_token: session.refreshToken };
    return this.send<unknown>("POST", "/api/v1/auth/logout", body, session.accessToken)
      .then(() => undefined)
      .catch(() => undefined);
  }

  /** Forgets the session without asking the server (it refused the refresh token already). */
  private forget(): void {
    this.cancelRefreshTimer();
    this.refreshing = null;
    if (this.current === null) return;
    this.current = null;
    this.store.save(null);
    this.emit("logout");
  }

  /**
   * Exchange the refresh token for new tokens; concurrent callers share one request. A refusal by the
   * server ends the session (back to login); a network failure keeps it and tries again later.
   */
  refresh(): Promise<Session> {
    if (this.refreshing) return this.refreshing;
    const session = this.current;
    if (!session) return Promise.reject(new ApiError(401, "not_authenticated", "Not logged in."));
    const attempt = call(this, "post", "/api/v1/auth/refresh", {
      body: { refresh_token: session.refreshToken },
      auth: false,
    })
      .then((tokens) => {
        if (this.current !== session) throw new ApiError(401, "not_authenticated", "Logged out.");
        this.setSession(sessionFromResponse(tokens, this.now()), "refresh");
        return this.current as Session;
      })
      .catch((error: unknown) => {
        if (error instanceof NetworkError) {
          this.cancelRefreshTimer();
          this.refreshTimer = this.timers.setTimeout(() => void this.refresh().catch(() => {}), this.retryRefreshMs);
        } else if (this.current === session) {
          this.forget();
        }
        throw error;
      })
      .finally(() => {
        if (this.refreshing === attempt) this.refreshing = null;
      });
    this.refreshing = attempt;
    return attempt;
  }

  /** The access token, refreshed first when it expires within the margin. */
  async freshToken(): Promise<string | null> {
    const session = this.current;
    if (!session) return null;
    if (session.expiresAt - this.now() > this.marginFor(session)) return session.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** A JSON request; on a 401 with a token, refresh once and retry. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    const token = auth ? this.current?.accessToken : undefined;
    try {
      return await this.send<T>(method, path, options.body, token);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !auth || !token) throw error;
      // Another request may already have refreshed while this one was in flight.
      const latest = this.current?.accessToken;
      const next = latest && latest !== token ? latest : (await this.refresh()).accessToken;
      return this.send<T>(method, path, options.body, next);
    }
  }

  /**
   * A request with a body that is not JSON, or whose answer is not (CHAT-10: a file up or down): the Bearer token in
   * the header, one refresh-and-retry on a 401 like `request`; the raw Response (errors thrown as ApiError).
   */
  async raw(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
    const attempt = async (token: string | undefined) => {
      const headers: Record<string, string> = {};
      if (contentType) headers["Content-Type"] = contentType;
      if (token) headers.Authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await this.fetchImpl(this.baseUrl + path, { method, headers, body });
      } catch (cause) {
        throw new NetworkError(cause);
      }
      if (response.ok) return response;
      const payload: unknown = await response.json().catch(() => null);
      throw errorFrom(response.status, payload);
    };
    const token = this.current?.accessToken;
    try {
      return await attempt(token);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !token) throw error;
      const latest = this.current?.accessToken;
      return attempt(latest && latest !== token ? latest : (await this.refresh()).accessToken);
    }
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, { body: body ?? {} });
  }

  private async send<T>(method: string, path: string, body: unknown, token: string | undefined): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new NetworkError(cause);
    }
    const text = await response.text();
    let payload: unknown = null;
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = null;
      }
    }
    if (!response.ok) throw errorFrom(response.status, payload);
    return payload as T;
  }

  private setSession(session: Session, reason: "login" | "refresh"): void {
    this.current = session;
    this.store.save(session);
    this.scheduleRefresh();
    this.emit(reason);
  }

  private emit(reason: "login" | "refresh" | "logout"): void {
    for (const listener of [...this.listeners]) listener(this.current, reason);
  }

  private marginFor(session: Session): number {
    const lifetime = Math.max(0, session.expiresAt - this.now());
    return Math.min(this.refreshMarginMs, Math.max(lifetime / 5, 1_000));
  }

  private scheduleRefresh(): void {
    this.cancelRefreshTimer();
    const session = this.current;
    if (!session) return;
    const delay = Math.max(0, session.expiresAt - this.now() - this.marginFor(session));
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh().catch(() => {});
    }, delay);
  }

  private cancelRefreshTimer(): void {
    if (this.refreshTimer !== null) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }
}

function errorFrom(status: number, payload: unknown): ApiError {
  const error = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof error?.code === "string" ? error.code : `http_${status}`;
  const message = typeof error?.message === "string" ? error.message : `Request failed (${status}).`;
  return new ApiError(status, code, message, error?.details);
}
