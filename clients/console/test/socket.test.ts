import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OperatorSocket, operatorSocketUrl, type ResumePoint } from "../src/realtime/socket";
import { FakeSocket, message } from "./fakes";

let resumePoints: ResumePoint[] = [];
let token = "tok-1";
let ids = 0;
let renewals: boolean[] = [];

function makeSocket() {
  return new OperatorSocket({
    url: (t) => `ws://console.test/ws/operator?token=${t}`,
    token: async (renew) => {
      renewals.push(renew);
      return token;
    },
    resumePoints: () => resumePoints,
    createSocket: (url) => new FakeSocket(url),
    newId: () => `cmid-${++ids}`,
    random: () => 0.5, // no jitter
    baseDelayMs: 1000,
  });
}

/** Let the async token lookup finish so the next FakeSocket exists. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.instances = [];
  resumePoints = [];
  token = "tok-1";
  ids = 0;
  renewals = [];
});
afterEach(() => vi.useRealTimers());

describe("OperatorSocket", () => {
  it("builds the operator socket URL from the page's own origin", () => {
    expect(operatorSocketUrl("a b", { protocol: "https:", host: "chat.example" })).toBe(
      "wss://chat.example/ws/operator?token=a%20b",
    );
    expect(operatorSocketUrl("t", { protocol: "http:", host: "127.0.0.1:8000" })).toBe(
      "ws://127.0.0.1:8000/ws/operator?token=t",
    );
  });

  it("re-sends unacknowledged messages after a reconnect with the same client_msg_id, once", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const first = FakeSocket.latest();
    first.open();
    const acked = socket.send("c1", "first");
    const lost = socket.send("c1", "second");
    expect(first.framesOf("message.send")).toEqual([
      { type: "message.send", conversation_id: "c1", client_msg_id: acked.client_msg_id, text: "first" },
      { type: "message.send", conversation_id: "c1", client_msg_id: lost.client_msg_id, text: "second" },
    ]);
    first.receive({ type: "message.ack", client_msg_id: acked.client_msg_id, message: message(1) });
    first.drop();

    const queued = socket.send("c1", "while offline"); // not on the wire yet
    await vi.advanceTimersByTimeAsync(1000);
    const second = FakeSocket.latest();
    expect(second).not.toBe(first);
    second.open();
    expect(second.framesOf("message.send").map((f) => f.client_msg_id)).toEqual([
      lost.client_msg_id,
      queued.client_msg_id,
    ]);
    second.receive({ type: "message.ack", client_msg_id: lost.client_msg_id, message: message(2) });
    second.receive({
      type: "message.created",
      message: message(3, { client_msg_id: queued.client_msg_id, sender_type: "operator" }),
    });
    expect(socket.pending).toEqual([]);

    second.drop();
    await vi.advanceTimersByTimeAsync(2000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOf("message.send")).toEqual([]);
  });

  it("resumes every loaded conversation from its last seq before re-sending", async () => {
    const socket = makeSocket();
    const opens: boolean[] = [];
    socket.on((e) => e.type === "open" && opens.push(e.reconnect));
    socket.start();
    await settle();
    FakeSocket.latest().open();
    socket.send("c1", "hello");
    FakeSocket.latest().drop();
    resumePoints = [
      { conversation_id: "c1", after_seq: 7 },
      { conversation_id: "c2", after_seq: 0 },
    ];
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().sent.map((f) => [f.type, f.conversation_id, f.after_seq])).toEqual([
      ["resume", "c1", 7],
      ["resume", "c2", 0],
      ["message.send", "c1", undefined],
    ]);
    expect(opens).toEqual([false, true]);
  });

  it("backs off exponentially and reconnects at once when the browser comes online", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    FakeSocket.latest().drop();
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.latest().drop();
    await vi.advanceTimersByTimeAsync(1999);
    expect(FakeSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.instances).toHaveLength(3);
    FakeSocket.latest().drop(); // next wait would be 4 s

    const detach = socket.watch(window, document);
    window.dispatchEvent(new Event("online"));
    await settle();
    expect(FakeSocket.instances).toHaveLength(4);
    detach();
    socket.stop();
  });

  it("connects with the latest token and hands a refreshed token to the open socket", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    expect(FakeSocket.latest().url).toBe("ws://console.test/ws/operator?token=tok-1");
    FakeSocket.latest().open();
    socket.refreshToken("tok-2");
    expect(FakeSocket.latest().framesOf("auth.refresh")).toEqual([{ type: "auth.refresh", token: "tok-2" }]);
    token = "tok-2";
    FakeSocket.latest().drop(1008, "token expired");
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.latest().url).toBe("ws://console.test/ws/operator?token=tok-2");
    expect(renewals).toEqual([false, true]); // the server refused the token: ask for a new one
    FakeSocket.latest().open();
    FakeSocket.latest().drop();
    await vi.advanceTimersByTimeAsync(2000);
    expect(renewals).toEqual([false, true, false]);
  });

  it("marks a refused message failed, does not re-send it, and retries it on demand", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    ws.open();
    const sent = socket.send("c1", "x".repeat(10));
    ws.receive({ type: "error", code: "not_assigned", message: "No.", client_msg_id: sent.client_msg_id });
    expect(socket.pending).toMatchObject([{ status: "failed", error: { code: "not_assigned" } }]);
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOf("message.send")).toEqual([]);
    socket.retry(sent.client_msg_id);
    expect(FakeSocket.latest().framesOf("message.send")).toMatchObject([{ client_msg_id: sent.client_msg_id }]);
  });

  it("replaces a socket that went silent", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    FakeSocket.latest().open();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(FakeSocket.latest().framesOf("ping")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(50_000); // no frame for > 60 s
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    socket.stop();
  });
});
