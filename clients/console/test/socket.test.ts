import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OperatorSocket, operatorSocketUrl, type ResumePoint } from "../src/realtime/socket";
import { errorFrame, FakeSocket, message } from "./fakes";

let resumePoints: ResumePoint[] = [];
let token = "tok-1";
let ids = 0;
let renewals: boolean[] = [];

function makeSocket() {
  return new OperatorSocket({
    url: () => "ws://console.test/ws/operator",
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
  it("builds the operator socket URL from the page's own origin, without the token", () => {
    expect(operatorSocketUrl({ protocol: "https:", host: "chat.example" })).toBe("wss://chat.example/ws/operator");
    expect(operatorSocketUrl({ protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000/ws/operator");
  });

  it("authenticates in the first frame and is open only after auth.ok", async () => {
    const socket = makeSocket();
    const opens: boolean[] = [];
    socket.on((e) => e.type === "open" && opens.push(e.reconnect));
    resumePoints = [{ conversation_id: "c1", after_seq: 2 }];
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    expect(ws.url).toBe("ws://console.test/ws/operator");
    ws.open(false);
    socket.send("c1", "early");
    expect(ws.sent).toEqual([{ type: "auth", token: "tok-1" }]); // nothing else before the server took it
    expect(socket.connectionStatus).toBe("connecting");
    expect(opens).toEqual([]);
    ws.receive({ type: "auth.ok", expires_at: 4102444800 });
    expect(socket.connectionStatus).toBe("open");
    expect(opens).toEqual([false]);
    expect(ws.sent.map((f) => f.type)).toEqual(["auth", "resume", "message.send"]);
    socket.stop();
  });

  it("replaces a socket that opened but never got auth.ok", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    FakeSocket.latest().open(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(FakeSocket.latest().readyState).toBe(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    socket.stop();
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
      ["auth", undefined, undefined],
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
    FakeSocket.latest().open();
    expect(FakeSocket.latest().sent[0]).toEqual({ type: "auth", token: "tok-1" });
    socket.refreshToken("tok-2");
    expect(FakeSocket.latest().framesOf("auth.refresh")).toEqual([{ type: "auth.refresh", token: "tok-2" }]);
    token = "tok-2";
    FakeSocket.latest().drop(1008, "token expired");
    await vi.advanceTimersByTimeAsync(1000);
    expect(renewals).toEqual([false, true]); // the server refused the token: ask for a new one
    FakeSocket.latest().open();
    expect(FakeSocket.latest().sent[0]).toEqual({ type: "auth", token: "tok-2" });
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

  it("sends a message again with the same client_msg_id when no ack came within 10 s", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    ws.open();
    const sent = socket.send("c1", "anyone?");
    await vi.advanceTimersByTimeAsync(9_999);
    expect(ws.framesOf("message.send")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.framesOf("message.send").map((f) => f.client_msg_id)).toEqual([sent.client_msg_id, sent.client_msg_id]);
    ws.receive({ type: "message.ack", client_msg_id: sent.client_msg_id, message: message(1) });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(ws.framesOf("message.send")).toHaveLength(2);
    expect(socket.pending).toEqual([]);
    socket.stop();
  });

  it("keeps a message sending after service_unavailable and sends it again; internal_error fails it", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    ws.open();
    const later = socket.send("c1", "later");
    const broken = socket.send("c1", "broken");
    ws.receive(errorFrame("service_unavailable", later.client_msg_id));
    ws.receive(errorFrame("internal_error", broken.client_msg_id));
    expect(socket.pending).toMatchObject([
      { client_msg_id: later.client_msg_id, status: "sending", retrying: { code: "service_unavailable" } },
      { client_msg_id: broken.client_msg_id, status: "failed", error: { code: "internal_error" } },
    ]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(ws.framesOf("message.send").map((f) => f.client_msg_id)).toEqual([
      later.client_msg_id,
      broken.client_msg_id,
      later.client_msg_id, // the failed one waits for the operator
    ]);
    socket.retry(broken.client_msg_id);
    expect(ws.framesOf("message.send").at(-1)!.client_msg_id).toBe(broken.client_msg_id);
    socket.stop();
  });

  it("waits retry_after before sending again after rate_limited", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    ws.open();
    const slow = socket.send("c1", "slow");
    ws.receive(errorFrame("rate_limited", slow.client_msg_id, { retry_after: 4.5 }));
    const next = socket.send("c1", "next"); // does not jump ahead while the server asked to wait
    await vi.advanceTimersByTimeAsync(4_499);
    expect(ws.framesOf("message.send").map((f) => f.client_msg_id)).toEqual([slow.client_msg_id]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ws.framesOf("message.send").map((f) => f.client_msg_id)).toEqual([
      slow.client_msg_id,
      slow.client_msg_id,
      next.client_msg_id,
    ]);
    socket.stop();
  });

  it("never shows an acknowledged message as failed, and drops a failed one once seen stored", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    ws.open();
    const acked = socket.send("c1", "acked");
    const late = socket.send("c1", "stored late");
    ws.receive({ type: "message.ack", client_msg_id: acked.client_msg_id, message: message(1) });
    ws.receive(errorFrame("internal_error", acked.client_msg_id)); // late, about a message stored after all
    ws.receive(errorFrame("internal_error", late.client_msg_id));
    expect(socket.pending.map((p) => [p.client_msg_id, p.status])).toEqual([[late.client_msg_id, "failed"]]);
    const stored = message(2, { client_msg_id: late.client_msg_id, sender_type: "operator" });
    ws.receive({ type: "message.created", message: stored });
    expect(socket.pending).toEqual([]);
    socket.stop();
  });

  it("sends one resume per conversation at a time, and on resync resumes every loaded conversation", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    const ws = FakeSocket.latest();
    ws.open();
    expect(socket.resume("c1", 3)).toBe(true);
    expect(socket.resume("c1", 3)).toBe(false); // on its way
    ws.receive({ type: "resume.done", conversation_id: "c1", last_seq: 3 });
    expect(socket.resume("c1", 3)).toBe(false); // answered without filling anything: not in a loop
    expect(socket.resume("c1", 5)).toBe(true);
    resumePoints = [
      { conversation_id: "c1", after_seq: 5 },
      { conversation_id: "c2", after_seq: 9 },
    ];
    ws.receive({ type: "resync", reason: "realtime_gap" });
    expect(ws.framesOf("resume").map((f) => [f.conversation_id, f.after_seq])).toEqual([
      ["c1", 3],
      ["c1", 5],
      ["c1", 5],
      ["c2", 9],
    ]);
    socket.stop();
  });

  it("asks for a new token after any close with 1008", async () => {
    const socket = makeSocket();
    socket.start();
    await settle();
    FakeSocket.latest().open();
    FakeSocket.latest().drop(1008, "origin not allowed");
    await vi.advanceTimersByTimeAsync(1000);
    expect(renewals).toEqual([false, true]);
    socket.stop();
  });
});
