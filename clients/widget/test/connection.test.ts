import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Connection, type ConnectionOptions, createConnection, visitorSocketUrl } from "../src/chat/connection";
import { FAKE_TIMERS, FakeSocket } from "./helpers";

const started: Connection[] = [];

function connection(overrides: Partial<ConnectionOptions> = {}) {
  const opened = vi.fn();
  const frames: unknown[] = [];
  const conn = createConnection({
    url: () => "wss://gw.example/ws/visitor",
    token: () => "t",
    factory: FakeSocket.factory,
    onOpen: opened,
    onFrame: (frame) => frames.push(frame),
    random: () => 0.5,
    ...overrides,
  });
  started.push(conn);
  return { conn, opened, frames };
}

describe("Connection", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers(FAKE_TIMERS as never);
  });
  afterEach(() => {
    for (const conn of started.splice(0)) conn.stop();
    vi.useRealTimers();
  });

  it("backs off exponentially from 0.5 s to at most 10 s, with jitter", () => {
    const low = connection({ random: () => 0 }).conn;
    const high = connection({ random: () => 1 }).conn;
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => high.delay(n))).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
    expect([0, 1, 2, 3, 4, 5].map((n) => low.delay(n))).toEqual([500, 500, 1000, 2000, 4000, 5000]);
    const half = connection({ random: () => 0.5 }).conn;
    expect(half.delay(3)).toBe(3000);
  });

  it("calls onOpen on every (re)connect and reconnects after a drop", () => {
    const { conn, opened } = connection();
    conn.start();
    FakeSocket.latest().open();
    expect(opened).toHaveBeenCalledTimes(1);
    FakeSocket.latest().drop();
    expect(conn.connected).toBe(false);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(499); // attempt 0 waits 0.5 s
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.latest().open();
    expect(opened).toHaveBeenCalledTimes(2);
  });

  it("waits longer after each failed attempt", () => {
    const { conn } = connection({ random: () => 1 });
    conn.start();
    FakeSocket.latest().drop();
    vi.advanceTimersByTime(500);
    FakeSocket.latest().drop();
    vi.advanceTimersByTime(999);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
  });

  it("reconnects at once when the browser comes back online", () => {
    const { conn } = connection({ random: () => 1 });
    conn.start();
    for (let i = 0; i < 4; i++) {
      FakeSocket.latest().drop();
      vi.advanceTimersByTime(10000);
    }
    FakeSocket.latest().drop();
    const count = FakeSocket.all.length;
    window.dispatchEvent(new Event("online"));
    expect(FakeSocket.all).toHaveLength(count + 1);
    conn.stop();
  });

  it("reconnects when the page becomes visible again", () => {
    const { conn } = connection();
    conn.start();
    FakeSocket.latest().drop();
    document.dispatchEvent(new Event("visibilitychange"));
    expect(FakeSocket.all).toHaveLength(2);
    conn.stop();
  });

  it("pings a socket that may have died while the page slept, and replaces it when nothing answers", () => {
    const { conn } = connection({ pingTimeoutMs: 5000 });
    conn.start();
    const first = FakeSocket.latest();
    first.open();
    window.dispatchEvent(new Event("online"));
    expect(first.framesOfType("ping")).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    expect(first.readyState).toBe(3);
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    conn.stop();
  });

  it("keeps a socket that answers the ping", () => {
    const { conn } = connection({ pingTimeoutMs: 5000 });
    conn.start();
    const socket = FakeSocket.latest();
    socket.open();
    window.dispatchEvent(new Event("online"));
    socket.receive({ type: "pong" });
    vi.advanceTimersByTime(20000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(conn.connected).toBe(true);
    conn.stop();
  });

  it("gives up on a socket stuck connecting", () => {
    const { conn } = connection({ connectTimeoutMs: 3000 });
    conn.start();
    vi.advanceTimersByTime(3000 + 500);
    expect(FakeSocket.all).toHaveLength(2);
    conn.stop();
  });

  it("passes JSON frames on and ignores garbage", () => {
    const { conn, frames } = connection();
    conn.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.onmessage?.({ data: "not json" });
    socket.onmessage?.({ data: JSON.stringify({ no: "type" }) });
    socket.receive({ type: "resume.done", last_seq: 3 });
    expect(frames).toEqual([{ type: "resume.done", last_seq: 3 }]);
  });

  it("does not send while disconnected and stops for good on stop()", () => {
    const { conn } = connection();
    conn.start();
    expect(conn.send({ type: "ping" })).toBe(false);
    FakeSocket.latest().open();
    expect(conn.send({ type: "ping" })).toBe(true);
    conn.stop();
    vi.advanceTimersByTime(60000);
    window.dispatchEvent(new Event("online"));
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("builds ws(s) URLs on the gateway host, without the token", () => {
    expect(visitorSocketUrl("https://gw.example")).toBe("wss://gw.example/ws/visitor");
    expect(visitorSocketUrl("http://127.0.0.1:8000")).toBe("ws://127.0.0.1:8000/ws/visitor");
  });

  it("authenticates in the first frame and counts as open only after auth.ok", () => {
    const { conn, opened, frames } = connection();
    conn.start();
    const socket = FakeSocket.latest();
    expect(socket.url).toBe("wss://gw.example/ws/visitor");
    socket.open(false);
    expect(socket.sent).toEqual([{ type: "auth", token: "t" }]);
    expect(conn.connected).toBe(false);
    expect(conn.send({ type: "ping" })).toBe(false); // nothing else before the server took the token
    expect(opened).not.toHaveBeenCalled();
    socket.receive({ type: "message.created", message: {} }); // not before auth.ok
    expect(frames).toEqual([]);
    socket.receive({ type: "auth.ok", expires_at: 4102444800 });
    expect(conn.connected).toBe(true);
    expect(opened).toHaveBeenCalledTimes(1);
  });

  it("gives up on a socket that opened but never got auth.ok", () => {
    const { conn, opened } = connection({ connectTimeoutMs: 3000 });
    conn.start();
    FakeSocket.latest().open(false);
    vi.advanceTimersByTime(3000);
    expect(FakeSocket.latest().readyState).toBe(3);
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    expect(opened).not.toHaveBeenCalled();
  });

  it("after a close with 1008 asks for a new token, then reconnects with backoff", async () => {
    const asked: boolean[] = [];
    const { conn, opened } = connection({
      token: (renew) => {
        asked.push(renew);
        return renew ? Promise.resolve("t2") : "t1";
      },
    });
    conn.start();
    FakeSocket.latest().open();
    expect(FakeSocket.latest().sent[0]).toEqual({ type: "auth", token: "t1" });
    FakeSocket.latest().drop(1008, "token expired");
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toEqual([false, true]);
    const next = FakeSocket.latest();
    expect(FakeSocket.all).toHaveLength(2);
    next.open();
    expect(next.sent[0]).toEqual({ type: "auth", token: "t2" });
    expect(opened).toHaveBeenCalledTimes(2);
    next.drop(); // an ordinary drop keeps the token
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toEqual([false, true, false]);
  });
});
