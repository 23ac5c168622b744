import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { ConsoleController } from "../src/app/controller";
import { conversation, FakeSocket, json, message, routedFetch, tokens, visitor } from "./fakes";

function setup() {
  const active = conversation({ id: "c1", state: "active", assigned_user_id: "u1", last_seq: 3 });
  const { fetch, calls } = routedFetch((r) => {
    if (r.path === "/api/v1/conversations?state=waiting") return json({ conversations: [] });
    if (r.path === "/api/v1/conversations?state=active") return json({ conversations: [active] });
    if (r.path === "/api/v1/visitors/live") return json({ visitors: [visitor()] });
    if (r.path === "/api/v1/conversations/c1") return json(active);
    if (r.path.startsWith("/api/v1/conversations/c1/messages?after_seq=0")) {
      return json({ messages: [message(3), message(1), message(2)] });
    }
    return undefined;
  });
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  const api = new ApiClient({ fetch, store });
  const notifier = { beep: vi.fn(), title: vi.fn() };
  const controller = new ConsoleController({
    api,
    notifier,
    socket: { createSocket: (url) => new FakeSocket(url), random: () => 0.5, baseDelayMs: 1000 },
  });
  return { controller, calls, notifier };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances = [];
});
afterEach(() => vi.useRealTimers());

describe("ConsoleController", () => {
  it("after a reconnect resumes loaded conversations from their last seq and re-fetches the lists", async () => {
    const { controller, calls } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.latest().open();
    await controller.select("c1");
    expect(controller.store.getState().messages.c1.map((m) => m.seq)).toEqual([1, 2, 3]);
    FakeSocket.latest().receive({ type: "message.created", message: message(4) });
    FakeSocket.latest().receive({ type: "message.created", message: message(4) });
    expect(controller.store.getState().messages.c1.map((m) => m.seq)).toEqual([1, 2, 3, 4]);

    const before = calls.length;
    FakeSocket.latest().drop();
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOf("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 4 }]);
    await vi.advanceTimersByTimeAsync(0);
    const refetched = calls.slice(before).map((c) => c.path);
    expect(refetched).toEqual(
      expect.arrayContaining([
        "/api/v1/conversations?state=waiting",
        "/api/v1/conversations?state=active",
        "/api/v1/visitors/live",
      ]),
    );
    controller.stop();
  });

  it("keeps visitors live from socket events and beeps for a new message elsewhere", async () => {
    const { controller, notifier } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.latest();
    ws.open();
    ws.receive({
      type: "visitor.updated",
      visitor: visitor({ visitor_id: "v2", last_seen_at: "2030-01-01T10:05:00Z" }),
    });
    expect(Object.keys(controller.store.getState().visitors).sort()).toEqual(["v-000001", "v2"]);
    ws.receive({ type: "visitor.left", visitor_id: "v-000001" });
    expect(Object.keys(controller.store.getState().visitors)).toEqual(["v2"]);
    ws.receive({ type: "message.created", message: message(9) });
    expect(notifier.beep).toHaveBeenCalledTimes(1);
    expect(controller.store.getState().unread).toEqual({ c1: 1 });
    controller.stop();
  });

  it("refuses a message over 4096 bytes before sending it", async () => {
    const { controller } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.latest().open();
    await controller.select("c1");
    expect(controller.send("é".repeat(2049))).toBe(false);
    expect(FakeSocket.latest().framesOf("message.send")).toEqual([]);
    expect(controller.store.getState().notice).toMatch(/4096 bytes/);
    controller.stop();
  });

  it("fetches a missing range as soon as a frame skips a seq, and holds each message once", async () => {
    const { controller } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.latest();
    ws.open();
    await controller.select("c1"); // history 1..3
    expect(ws.framesOf("resume")).toEqual([]);
    ws.receive({ type: "message.created", message: message(5) }); // 4 was lost
    expect(ws.framesOf("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 3 }]);
    ws.receive({ type: "message.created", message: message(6) }); // the same gap: no second resume
    expect(ws.framesOf("resume")).toHaveLength(1);
    ws.receive({ type: "message.created", message: message(4) });
    ws.receive({ type: "message.created", message: message(5) });
    ws.receive({ type: "message.created", message: message(6) });
    ws.receive({ type: "resume.done", conversation_id: "c1", last_seq: 6 });
    const state = controller.store.getState();
    expect(state.messages.c1.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(state.complete.c1).toBe(6);
    ws.receive({ type: "message.created", message: message(7) });
    expect(ws.framesOf("resume")).toHaveLength(1); // nothing missing: nothing asked
    controller.stop();
  });

  it("asks again when a resume leaves a gap that opened meanwhile", async () => {
    const { controller } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.latest();
    ws.open();
    await controller.select("c1");
    ws.receive({ type: "message.created", message: message(5) });
    ws.receive({ type: "message.created", message: message(4) });
    ws.receive({ type: "message.created", message: message(7) }); // 6 lost while the resume was on its way
    ws.receive({ type: "resume.done", conversation_id: "c1", last_seq: 5 });
    expect(ws.framesOf("resume").map((f) => f.after_seq)).toEqual([3, 5]);
    controller.stop();
  });

  it("resumes from the highest contiguous seq after a reconnect, not the highest seen", async () => {
    const { controller } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.latest().open();
    await controller.select("c1");
    FakeSocket.latest().receive({ type: "message.created", message: message(5) });
    FakeSocket.latest().drop(); // before the gap was filled
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOf("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 3 }]);
    controller.stop();
  });

  it("on resync resumes every loaded conversation and refetches the waiting list and live visitors", async () => {
    const { controller, calls } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.latest();
    ws.open();
    await controller.select("c1");
    await vi.advanceTimersByTimeAsync(0);
    const before = calls.length;
    ws.receive({ type: "resync", reason: "realtime_gap" });
    expect(ws.framesOf("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 3 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.slice(before).map((c) => c.path)).toEqual(
      expect.arrayContaining([
        "/api/v1/conversations?state=waiting",
        "/api/v1/conversations?state=active",
        "/api/v1/visitors/live",
      ]),
    );
    controller.stop();
  });

  it("drops a frame of a message it already holds", async () => {
    const { controller, notifier } = setup();
    controller.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.latest();
    ws.open();
    await controller.select("c1");
    ws.receive({ type: "message.created", message: message(2) });
    ws.receive({ type: "message.created", message: message(3, { id: "other-id" }) });
    expect(controller.store.getState().messages.c1.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
    expect(notifier.beep).not.toHaveBeenCalled();
    controller.stop();
  });
});
