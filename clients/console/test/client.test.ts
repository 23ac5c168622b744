import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError } from "../src/api/client";
import { STORAGE_KEY, storageSessionStore } from "../src/api/tokens";
import { json, routedFetch, tokens } from "./fakes";

function loggedInClient(route: Parameters<typeof routedFetch>[0]) {
  const { fetch, calls } = routedFetch(route);
  const store = storageSessionStore(localStorage);
  store.save({
    accessToken: "old",
    refreshToken: "refresh-1",
    expiresAt: Date.now() + 600_000,
    user: tokens("old").user,
    accounts: [],
  });
  return { api: new ApiClient({ fetch, store }), calls };
}

beforeEach(() => localStorage.clear());
afterEach(() => vi.useRealTimers());

describe("ApiClient", () => {
  it("logs in and keeps the tokens in localStorage", async () => {
    const { fetch, calls } = routedFetch((r) => (r.path === "/api/v1/auth/login" ? json(tokens("a1")) : undefined));
    const api = new ApiClient({ fetch, store: storageSessionStore(localStorage) });
    const session = await api.login("olga@demo.example", "floorwalker");
    expect(session.accessToken).toBe("a1");
    expect(calls[0]).toMatchObject({ method: "POST", body: { email: "olga@demo.example", password: "floorwalker" } });
    expect(calls[0].auth).toBeNull();
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}").refreshToken).toBe("refresh-a1");
    api.logout();
    expect(localStorage.getItem(STORAGE_KEY)).toBeNull();
  });

  it("refreshes the token on a 401 and retries the request once", async () => {
    const { api, calls } = loggedInClient((r) => {
      if (r.path === "/api/v1/auth/refresh") return json(tokens("new"));
      if (r.auth === "Bearer old") return json({ error: { code: "token_expired", message: "expired" } }, 401);
      if (r.auth === "Bearer new") return json({ conversations: [] });
      return undefined;
    });
    await expect(api.get("/api/v1/conversations?state=waiting")).resolves.toEqual({ conversations: [] });
    expect(calls.map((c) => [c.path, c.auth])).toEqual([
      ["/api/v1/conversations?state=waiting", "Bearer old"],
      ["/api/v1/auth/refresh", null],
      ["/api/v1/conversations?state=waiting", "Bearer new"],
    ]);
    expect(calls[1].body).toEqual({ refresh_token: "refresh-1" });
    expect(api.accessToken).toBe("new");
  });

  it("shares one refresh between concurrent 401s", async () => {
    const { api, calls } = loggedInClient((r) => {
      if (r.path === "/api/v1/auth/refresh") return json(tokens("new"));
      if (r.auth === "Bearer old") return json({ error: { code: "token_expired", message: "expired" } }, 401);
      return json({ ok: r.path });
    });
    await Promise.all([api.get("/a"), api.get("/b"), api.get("/c")]);
    expect(calls.filter((c) => c.path === "/api/v1/auth/refresh")).toHaveLength(1);
  });

  it("retries only once and logs out when the refresh is refused", async () => {
    const { api, calls } = loggedInClient((r) =>
      r.path === "/api/v1/auth/refresh"
        ? json({ error: { code: "invalid_token", message: "Refresh token revoked." } }, 401)
        : json({ error: { code: "token_expired", message: "expired" } }, 401),
    );
    const events: string[] = [];
    api.onSession((_s, reason) => events.push(reason));
    await expect(api.get("/api/v1/auth/me")).rejects.toMatchObject({ status: 401, code: "invalid_token" });
    expect(calls).toHaveLength(2);
    expect(api.session).toBeNull();
    expect(events).toEqual(["logout"]);
    expect(localStorage.getItem(STORAGE_KEY)).toBeNull();
  });

  it("turns error bodies into ApiError with code, message and details", async () => {
    const { api } = loggedInClient(() =>
      json({ error: { code: "message_too_large", message: "Too big.", details: { limit: 4096 } } }, 413),
    );
    const error = await api.post("/api/v1/conversations/c1/messages", { text: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 413,
      code: "message_too_large",
      message: "Too big.",
      details: { limit: 4096 },
    });
  });

  it("refreshes shortly before the access token expires", async () => {
    vi.useFakeTimers();
    const { fetch, calls } = routedFetch((r) => {
      if (r.path === "/api/v1/auth/login") return json(tokens("a1", "r1", 900));
      if (r.path === "/api/v1/auth/refresh") return json(tokens("a2", "r2", 900));
      return undefined;
    });
    const api = new ApiClient({ fetch, store: storageSessionStore(null) });
    const refreshed: string[] = [];
    api.onSession((s, reason) => reason === "refresh" && s && refreshed.push(s.accessToken));
    await api.login("olga@demo.example", "pw");
    await vi.advanceTimersByTimeAsync(830_000);
    expect(calls.some((c) => c.path === "/api/v1/auth/refresh")).toBe(false);
    await vi.advanceTimersByTimeAsync(20_000); // 850 s: inside the last minute
    expect(calls.filter((c) => c.path === "/api/v1/auth/refresh")).toHaveLength(1);
    expect(refreshed).toEqual(["a2"]);
    expect(await api.freshToken()).toBe("a2");
  });

  it("logs out on the server with the refresh token and forgets the tokens, even offline", async () => {
    const { api, calls } = loggedInClient((r) =>
      r.path === "/api/v1/auth/logout" ? new Response(null, { status: 204 }) : undefined,
    );
    const events: string[] = [];
    api.onSession((_s, reason) => events.push(reason));
    await api.logout();
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ["POST", "/api/v1/auth/logout", { refresh_token: "refresh-1" }],
    ]);
    expect(api.session).toBeNull();
    expect(localStorage.getItem(STORAGE_KEY)).toBeNull();
    expect(events).toEqual(["logout"]);

    const offline = loggedInClient(() => {
      throw new TypeError("Failed to fetch");
    });
    await expect(offline.api.logout()).resolves.toBeUndefined();
    expect(offline.api.session).toBeNull();
  });
});
