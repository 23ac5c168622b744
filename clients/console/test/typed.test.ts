import { describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../src/api/client";
import { call, urlOf } from "../src/api/typed";

function recordingApi() {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  const api = {
    request: vi.fn(async (method: string, path: string, options: { body?: unknown }) => {
      calls.push({ method, path, body: options.body });
      return { ok: true };
    }),
  } as unknown as ApiClient;
  return { api, calls };
}

describe("requests typed by the OpenAPI", () => {
  it("fills path parameters encoded and leaves empty query values out", () => {
    expect(urlOf("/api/v1/history/{conversation_id}", { conversation_id: "a/b c" })).toBe("/api/v1/history/a%2Fb%20c");
    expect(urlOf("/api/v1/history", undefined, { text: "tv & radio", until: undefined, page: 2 })).toBe(
      "/api/v1/history?text=tv+%26+radio&page=2",
    );
    expect(() => urlOf("/api/v1/history/{conversation_id}", {})).toThrow("no value for {conversation_id}");
  });

  it("sends the method, the filled path and the body through the client", async () => {
    const { api, calls } = recordingApi();
    await call(api, "put", "/api/v1/me/alerts", { body: { sms_enabled: true, phone: "+491511234567" } });
    await call(api, "get", "/api/v1/me/alerts");
    expect(calls).toEqual([
      { method: "PUT", path: "/api/v1/me/alerts", body: { sms_enabled: true, phone: "+491511234567" } },
      { method: "GET", path: "/api/v1/me/alerts", body: undefined },
    ]);
  });

  it("sends {} for a POST without a body, and passes auth: false for login and refresh", async () => {
    const { api } = recordingApi();
    await call(api, "post", "/api/v1/conversations/{conversation_id}/accept", { path: { conversation_id: "c1" } });
    await call(api, "post", "/api/v1/auth/refresh", { body: { refresh_token: "r" }, auth: false });
    expect(vi.mocked(api.request).mock.calls).toEqual([
      ["POST", "/api/v1/conversations/c1/accept", { body: {}, auth: undefined }],
      ["POST", "/api/v1/auth/refresh", { body: { refresh_token: "r" }, auth: false }],
    ]);
  });

  // Checked by `npm run typecheck` (make lint): each @ts-expect-error fails the check when its line compiles.
  it("refuses at compile time what the document does not have", () => {
    const { api } = recordingApi();
    // @ts-expect-error: no such path in the served document
    void call(api, "get", "/api/v1/no-such-thing");
    // @ts-expect-error: sms_enabled is a boolean
    void call(api, "put", "/api/v1/me/alerts", { body: { sms_enabled: "yes", phone: null } });
    // @ts-expect-error: the body is required
    void call(api, "put", "/api/v1/me/alerts");
    const c1 = { conversation_id: "c1" };
    // types only, never run (the answers of `recordingApi` are not these)
    const typesOnly = async () => {
      // @ts-expect-error: the path parameter is conversation_id
      await call(api, "get", "/api/v1/conversations/{conversation_id}", { path: { id: "c1" } });
      // @ts-expect-error: a transfer's note is a string, not a number
      await call(api, "post", "/api/v1/conversations/{conversation_id}/transfer", { path: c1, body: { note: 1 } });
      const conversation = await call(api, "get", "/api/v1/conversations/{conversation_id}", { path: c1 });
      // @ts-expect-error: a conversation has no `title` (the fields of answers are checked too)
      void conversation.title;
      // answers carry every field (`Served`): `participants` is there, not optional
      return conversation.participants.length;
    };
    void typesOnly;
  });
});
