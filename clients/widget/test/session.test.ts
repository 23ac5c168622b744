import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatApi } from "../src/chat/api";
import { ChatSession } from "../src/chat/session";
import type { Conversation, Message } from "../src/shared/types";
import { conversation, FAKE_TIMERS, FakeSocket, fakeFetch, message, settle } from "./helpers";

/** A tiny in-memory chat service behind the fake fetch. */
function fakeServer(initial: { current?: Conversation; messages?: Message[] } = {}) {
  const state = { conversation: initial.current ?? null, messages: initial.messages ?? [] };
  const messages = ({ url }: { url: string }) => {
    const after = Number(new URL(url).searchParams.get("after_seq"));
    return { status: 200, body: { messages: state.messages.filter((m) => m.seq > after) } };
  };
  const server = fakeFetch({
    "GET /api/v1/conversations/current": () =>
      state.conversation && state.conversation.state !== "closed"
        ? { status: 200, body: state.conversation }
        : { status: 404, body: { error: { code: "no_open_conversation" } } },
    "POST /api/v1/conversations": ({ body }) => {
      if (state.conversation && state.conversation.state !== "closed") return { status: 200, body: state.conversation };
      const { text, client_msg_id } = body as { text: string; client_msg_id: string };
      const id = state.conversation ? "c2" : "c1";
      state.conversation = conversation({ id, last_seq: 1 });
      state.messages = [message(1, { conversation_id: id, sender_type: "visitor", sender_name: null, text, client_msg_id })];
      return { status: 201, body: state.conversation };
    },
    "GET /api/v1/conversations/c1": () => ({ status: 200, body: state.conversation }),
    "POST /api/v1/conversations/c1/close": () => {
      state.conversation = { ...state.conversation!, state: "closed" };
      return { status: 200, body: state.conversation };
    },
    "GET /api/v1/conversations/c1/messages": messages,
    "GET /api/v1/conversations/c2/messages": messages,
  });
  return { ...server, state };
}

let ids = 0;
const sessions: ChatSession[] = [];

function makeSession(fetch: typeof globalThis.fetch, onIncoming?: (m: Message) => void, onlySaved?: boolean) {
  const session = new ChatSession({
    siteKey: "k",
    onlySaved,
    storage: localStorage,
    api: new ChatApi("https://gw.example", () => "tok", fetch),
    socketUrl: () => "wss://gw.example/ws/visitor",
    socketToken: () => "tok",
    socketFactory: FakeSocket.factory,
    random: () => 0,
    uuid: () => `id-${++ids}`,
    retryDelayMs: 1000,
    onIncoming,
  });
  sessions.push(session);
  return session;
}

const paths = (calls: { method: string; url: string }[]) => calls.map((c) => `${c.method} ${c.url.replace("https://gw.example", "")}`);
const savedConversation = () => JSON.parse(localStorage.getItem("fw:conv:k") || "null");

describe("ChatSession", () => {
  beforeEach(() => {
    localStorage.clear();
    FakeSocket.all = [];
    ids = 0;
    vi.useFakeTimers(FAKE_TIMERS as never);
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.destroy();
    vi.useRealTimers();
  });

  it("with onlySaved, never asks for an open conversation this browser did not save (no 404 in the host's devtools)", async () => {
    const server = fakeServer();
    const session = makeSession(server.fetch, undefined, true);
    await session.start();
    expect(paths(server.calls)).toEqual([]);
    session.destroy();
    localStorage.setItem("fw:conv:k", JSON.stringify({ conversation_id: "c1", last_seq: 0, open: true }));
    const again = fakeServer();
    await makeSession(again.fetch, undefined, true).start();
    expect(paths(again.calls)[0]).toBe("GET /api/v1/conversations/current");
  });

  it("lets the visitor write first: the first message creates the conversation, then its messages are loaded", async () => {
    const server = fakeServer();
    const session = makeSession(server.fetch);
    await session.start();
    expect(FakeSocket.all).toHaveLength(0); // no conversation, no socket yet
    expect(session.send("Hello there")).toBe("ok");
    expect(session.snapshot().pending.map((p) => p.text)).toEqual(["Hello there"]);
    await settle();
    expect(paths(server.calls)).toEqual([
      "GET /api/v1/conversations/current",
      "POST /api/v1/conversations",
      "GET /api/v1/conversations/c1/messages?after_seq=0&limit=200",
    ]);
    expect(server.calls[1].body).toEqual({ text: "Hello there", client_msg_id: "id-1" });
    const snapshot = session.snapshot();
    expect(snapshot.pending).toEqual([]);
    expect(snapshot.messages.map((m) => [m.seq, m.text])).toEqual([[1, "Hello there"]]);
    expect(savedConversation()).toEqual({ conversation_id: "c1", last_seq: 1, open: true });
    FakeSocket.latest().open();
    expect(FakeSocket.latest().sent).toEqual([
      { type: "auth", token: "tok" },
      { type: "resume", conversation_id: "c1", after_seq: 1 },
    ]);
  });

  it("reuses the visitor's open conversation and sends over the socket", async () => {
    const server = fakeServer({ current: conversation({ state: "active", assigned_user_name: "Ana" }), messages: [message(1), message(2)] });
    const session = makeSession(server.fetch);
    await session.start();
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2]);
    const socket = FakeSocket.latest();
    socket.open();
    session.send("Is it in stock?");
    expect(socket.sent).toEqual([
      { type: "auth", token: "tok" },
      { type: "resume", conversation_id: "c1", after_seq: 2 },
      { type: "message.send", conversation_id: "c1", client_msg_id: "id-1", text: "Is it in stock?" },
    ]);
    expect(server.calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("re-sends un-acknowledged messages with the same client_msg_id after a reconnect and clears them on ack", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const first = FakeSocket.latest();
    first.open();
    session.send("one");
    first.drop();
    session.send("two"); // written while offline
    vi.advanceTimersByTime(500);
    const second = FakeSocket.latest();
    expect(second).not.toBe(first);
    second.open();
    expect(second.sent).toEqual([
      { type: "auth", token: "tok" },
      { type: "resume", conversation_id: "c1", after_seq: 1 },
      { type: "message.send", conversation_id: "c1", client_msg_id: "id-1", text: "one" },
      { type: "message.send", conversation_id: "c1", client_msg_id: "id-2", text: "two" },
    ]);
    const stored = message(2, { sender_type: "visitor", text: "one", client_msg_id: "id-1" });
    second.receive({ type: "message.created", message: stored }); // the broadcast may come first
    second.receive({ type: "message.ack", client_msg_id: "id-1", message: stored });
    second.receive({ type: "message.ack", client_msg_id: "id-2", message: message(3, { sender_type: "visitor", text: "two", client_msg_id: "id-2" }) });
    const snapshot = session.snapshot();
    expect(snapshot.pending).toEqual([]);
    expect(snapshot.messages.map((m) => m.text)).toEqual(["message 1", "one", "two"]);
    expect(localStorage.getItem("fw:pending:k")).toBeNull();
  });

  it("keeps pending messages across a reload and sends them with their original client_msg_id", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const before = makeSession(server.fetch);
    await before.start();
    before.send("sent just before the page changed"); // socket never opened
    before.destroy();

    const after = makeSession(server.fetch);
    await after.start();
    expect(after.snapshot().pending.map((p) => p.client_msg_id)).toEqual(["id-1"]);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType("message.send")).toEqual([
      { type: "message.send", conversation_id: "c1", client_msg_id: "id-1", text: "sent just before the page changed" },
    ]);
  });

  it("resumes after the last seq it has seen, even when messages arrived out of order", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1), message(2)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "message.created", message: message(5) });
    socket.receive({ type: "message.created", message: message(3) });
    socket.receive({ type: "message.created", message: message(4) });
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    socket.drop();
    vi.advanceTimersByTime(500);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 5 }]);
    expect(savedConversation()).toEqual({ conversation_id: "c1", last_seq: 5, open: true });
  });

  it("resumes from before a gap, and applies the missed messages", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "message.created", message: message(3) }); // 2 was lost
    socket.drop();
    vi.advanceTimersByTime(500);
    const next = FakeSocket.latest();
    next.open();
    expect(next.framesOfType("resume")[0].after_seq).toBe(1);
    next.receive({ type: "message.created", message: message(2) });
    next.receive({ type: "message.created", message: message(3) });
    next.receive({ type: "resume.done", conversation_id: "c1", last_seq: 3 });
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(session.store.lastSeq).toBe(3);
  });

  it("on a reload loads the whole history, then resumes after its last message", async () => {
    localStorage.setItem("fw:conv:k", JSON.stringify({ conversation_id: "c1", last_seq: 2, open: true }));
    const server = fakeServer({ current: conversation({ state: "active" }), messages: [message(1), message(2), message(3)] });
    const session = makeSession(server.fetch);
    await session.start();
    expect(paths(server.calls)).toContain("GET /api/v1/conversations/c1/messages?after_seq=0&limit=200");
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().framesOfType("resume")[0].after_seq).toBe(3);
  });

  it("still reconnects to the saved conversation when the API cannot be reached, resuming from the start", async () => {
    localStorage.setItem("fw:conv:k", JSON.stringify({ conversation_id: "c1", last_seq: 4, open: true }));
    const session = makeSession(fakeFetch({ "GET /api/v1/conversations/current": () => ({ status: 503 }) }).fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    expect(socket.framesOfType("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 0 }]);
    socket.receive({ type: "message.created", message: message(1) });
    socket.receive({ type: "message.created", message: message(2) });
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 2 });
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it("moves messages written into a conversation that ended meanwhile into a new one", async () => {
    localStorage.setItem("fw:conv:k", JSON.stringify({ conversation_id: "c1", last_seq: 1, open: true }));
    const unsent = { client_msg_id: "old-1", conversation_id: "c1", text: "still there?", created_at: "2024-05-01T10:00:00Z" };
    localStorage.setItem("fw:pending:k", JSON.stringify([unsent]));
    const server = fakeServer({ current: conversation({ state: "closed" }), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    await settle();
    expect(server.calls.find((c) => c.method === "POST")?.body).toEqual({ text: "still there?", client_msg_id: "old-1" });
    expect(session.conversationId).toBe("c2");
    expect(session.snapshot().pending).toEqual([]);
  });

  it("notifies new operator messages but not the history loaded at start", async () => {
    const incoming = vi.fn();
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch, incoming);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "message.created", message: message(2, { sender_type: "visitor" }) });
    socket.receive({ type: "message.created", message: message(3) });
    socket.receive({ type: "message.created", message: message(3) });
    expect(incoming.mock.calls.map(([m]) => m.seq)).toEqual([3]);
  });

  it("follows conversation.updated and clears the open flag when the conversation is closed", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "conversation.updated", conversation: conversation({ state: "active", assigned_user_name: "Ana" }) });
    expect(session.snapshot().conversation?.assigned_user_name).toBe("Ana");
    socket.receive({ type: "conversation.updated", conversation: conversation({ id: "other", state: "closed" }) });
    expect(session.isOpen).toBe(true);
    socket.receive({ type: "conversation.updated", conversation: conversation({ state: "closed" }) });
    expect(session.isOpen).toBe(false);
    expect(savedConversation().open).toBe(false);
    expect(socket.readyState).toBe(3);
    vi.advanceTimersByTime(30000);
    expect(FakeSocket.all).toHaveLength(1); // no reconnect for a closed conversation
  });

  it("starts a new conversation when the visitor writes after the last one was closed", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    await session.endChat();
    expect(paths(server.calls)).toContain("POST /api/v1/conversations/c1/close");
    expect(session.snapshot().conversation?.state).toBe("closed");
    session.send("one more question");
    await settle();
    expect(session.conversationId).toBe("c2");
    expect(session.snapshot().messages.map((m) => m.text)).toEqual(["one more question"]);
    expect(savedConversation()).toEqual({ conversation_id: "c2", last_seq: 1, open: true });
  });

  it("keeps a message pending on service_unavailable and sends it again, but shows internal_error as failed with a retry", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    session.send("refused");
    session.send("unlucky");
    session.send("broken");
    socket.receive({ type: "error", code: "message_too_large", message: "too big", retryable: false, client_msg_id: "id-1" });
    socket.receive({ type: "error", code: "service_unavailable", message: "Try again.", retryable: true, client_msg_id: "id-2" });
    socket.receive({ type: "error", code: "internal_error", message: "Oops.", retryable: false, client_msg_id: "id-3" });
    expect(session.snapshot().failed.map((f) => [f.client_msg_id, f.error])).toEqual([
      ["id-1", "message_too_large"],
      ["id-3", "internal_error"],
    ]);
    expect(session.snapshot().pending.map((p) => [p.client_msg_id, p.retrying])).toEqual([["id-2", "service_unavailable"]]);
    vi.advanceTimersByTime(1000);
    expect(socket.framesOfType("message.send").map((f) => f.client_msg_id)).toEqual(["id-1", "id-2", "id-3", "id-2"]);
    session.retry("id-3"); // the retry button: the same client_msg_id
    expect(socket.framesOfType("message.send").map((f) => f.client_msg_id)).toEqual(["id-1", "id-2", "id-3", "id-2", "id-3"]);
    expect(session.snapshot().failed.map((f) => f.client_msg_id)).toEqual(["id-1"]);
  });

  it("treats service_unavailable and rate_limited as retryable, internal_error not, when the frame does not say", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    session.send("a");
    session.send("b");
    socket.receive({ type: "error", code: "service_unavailable", message: "down", client_msg_id: "id-1" });
    socket.receive({ type: "error", code: "internal_error", message: "bug", client_msg_id: "id-2" });
    expect(session.snapshot().pending.map((p) => p.client_msg_id)).toEqual(["id-1"]);
    expect(session.snapshot().failed.map((f) => f.client_msg_id)).toEqual(["id-2"]);
  });

  it("waits retry_after before sending a rate-limited message again, with the same client_msg_id", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    session.send("slow down");
    socket.receive({ type: "error", code: "rate_limited", message: "Too fast.", retryable: true, retry_after: 2.5, client_msg_id: "id-1" });
    session.send("queued behind it"); // does not jump the queue while the server asked to wait
    vi.advanceTimersByTime(2400);
    expect(socket.framesOfType("message.send").map((f) => f.client_msg_id)).toEqual(["id-1"]);
    vi.advanceTimersByTime(100);
    expect(socket.framesOfType("message.send").map((f) => f.client_msg_id)).toEqual(["id-1", "id-1", "id-2"]);
  });

  it("never shows an acknowledged message as failed", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    session.send("stored");
    session.send("stored after all");
    const stored = message(2, { sender_type: "visitor", text: "stored", client_msg_id: "id-1" });
    socket.receive({ type: "message.ack", client_msg_id: "id-1", message: stored });
    socket.receive({ type: "error", code: "internal_error", message: "late", retryable: false, client_msg_id: "id-1" });
    socket.receive({ type: "error", code: "internal_error", message: "Oops.", retryable: false, client_msg_id: "id-2" });
    expect(session.snapshot().failed.map((f) => f.client_msg_id)).toEqual(["id-2"]);
    // its realtime frame is republished later: it was stored, so it is no longer failed
    socket.receive({ type: "message.created", message: message(3, { sender_type: "visitor", text: "stored after all", client_msg_id: "id-2" }) });
    const snapshot = session.snapshot();
    expect(snapshot.failed).toEqual([]);
    expect(snapshot.pending).toEqual([]);
    expect(snapshot.messages.map((m) => m.text)).toEqual(["message 1", "stored", "stored after all"]);
  });

  it("sends a message again with the same client_msg_id when no ack came within 10 s", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = new ChatSession({
      siteKey: "k",
      storage: localStorage,
      api: new ChatApi("https://gw.example", () => "tok", server.fetch),
      socketUrl: () => "wss://gw.example/ws/visitor",
      socketToken: () => "tok",
      socketFactory: FakeSocket.factory,
      random: () => 0,
      uuid: () => `id-${++ids}`,
    });
    sessions.push(session);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    session.send("anyone?");
    vi.advanceTimersByTime(9_999);
    expect(socket.framesOfType("message.send")).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(socket.framesOfType("message.send").map((f) => f.client_msg_id)).toEqual(["id-1", "id-1"]);
    socket.receive({ type: "message.ack", client_msg_id: "id-1", message: message(2, { sender_type: "visitor", text: "anyone?", client_msg_id: "id-1" }) });
    vi.advanceTimersByTime(30_000);
    expect(socket.framesOfType("message.send")).toHaveLength(2);
    expect(session.snapshot().pending).toEqual([]);
  });

  it("fetches a missing range as soon as a frame skips a seq, and shows each message once", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1), message(2), message(3)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    expect(socket.framesOfType("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 3 }]);
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 3 });
    socket.receive({ type: "message.created", message: message(5) }); // 4 was lost
    expect(socket.framesOfType("resume")).toEqual([
      { type: "resume", conversation_id: "c1", after_seq: 3 },
      { type: "resume", conversation_id: "c1", after_seq: 3 },
    ]);
    socket.receive({ type: "message.created", message: message(6) }); // the same gap: no second resume
    expect(socket.framesOfType("resume")).toHaveLength(2);
    // the answer to the resume: 4, 5 again, 6 again
    socket.receive({ type: "message.created", message: message(4) });
    socket.receive({ type: "message.created", message: message(5) });
    socket.receive({ type: "message.created", message: message(6) });
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 6 });
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(session.store.hasGap).toBe(false);
    expect(session.store.lastSeq).toBe(6);
    socket.receive({ type: "message.created", message: message(7) });
    expect(socket.framesOfType("resume")).toHaveLength(2); // nothing missing: nothing asked
  });

  it("asks again for a gap that opened while a resume was on its way", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open(); // resume after 1 on its way
    socket.receive({ type: "message.created", message: message(2) });
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 2 });
    socket.receive({ type: "message.created", message: message(4) });
    socket.receive({ type: "message.created", message: message(6) });
    expect(socket.framesOfType("resume").map((f) => f.after_seq)).toEqual([1, 2]);
    socket.receive({ type: "message.created", message: message(3) });
    socket.receive({ type: "message.created", message: message(4) });
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 4 }); // 5 still missing
    expect(socket.framesOfType("resume").map((f) => f.after_seq)).toEqual([1, 2, 4]);
  });

  it("resumes from the highest contiguous seq after a reconnect, not the highest seen", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1), message(2)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 2 });
    socket.receive({ type: "message.created", message: message(4) });
    socket.drop(); // before the gap was filled
    vi.advanceTimersByTime(500);
    const next = FakeSocket.latest();
    next.open();
    expect(next.framesOfType("resume")).toEqual([{ type: "resume", conversation_id: "c1", after_seq: 2 }]);
    expect(savedConversation().last_seq).toBe(2);
  });

  it("on a resync frame resumes after what it holds and refetches the conversation", async () => {
    const server = fakeServer({ current: conversation(), messages: [message(1), message(2)] });
    const session = makeSession(server.fetch);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 2 });
    server.state.conversation = conversation({ state: "active", assigned_user_name: "Ana" }); // its frame was lost
    server.state.messages.push(message(3));
    const before = server.calls.length;
    socket.receive({ type: "resync", reason: "realtime_gap" });
    expect(socket.framesOfType("resume").map((f) => f.after_seq)).toEqual([2, 2]);
    await settle();
    expect(paths(server.calls.slice(before))).toEqual(["GET /api/v1/conversations/c1"]);
    expect(session.snapshot().conversation?.assigned_user_name).toBe("Ana");
    socket.receive({ type: "message.created", message: message(3) });
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 3 });
    expect(session.snapshot().messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("drops frames of messages it already holds", async () => {
    const incoming = vi.fn();
    const server = fakeServer({ current: conversation(), messages: [message(1)] });
    const session = makeSession(server.fetch, incoming);
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "message.created", message: message(2) });
    socket.receive({ type: "message.created", message: message(2) });
    socket.receive({ type: "message.created", message: message(1) });
    socket.receive({ type: "message.created", message: { ...message(2), id: "other" } }); // same seq
    expect(session.snapshot().messages.map((m) => m.id)).toEqual(["m1", "m2"]);
    expect(incoming).toHaveBeenCalledTimes(1);
  });

  it("refuses empty and oversized messages before sending", async () => {
    const session = makeSession(fakeServer().fetch);
    expect(session.send("   \n ")).toBe("empty");
    expect(session.send("é".repeat(2049))).toBe("too_long"); // 4098 bytes of UTF-8
    expect(session.snapshot().pending).toEqual([]);
  });

  it("shows a conversation closed since the last visit as closed and stops auto-opening it", async () => {
    localStorage.setItem("fw:conv:k", JSON.stringify({ conversation_id: "c1", last_seq: 1, open: true }));
    const server = fakeServer({ current: conversation({ state: "closed" }), messages: [message(1)] });
    const session = makeSession(server.fetch);
    await session.start();
    expect(session.snapshot().conversation?.state).toBe("closed");
    expect(session.snapshot().messages).toHaveLength(1);
    expect(savedConversation().open).toBe(false);
    expect(FakeSocket.all).toHaveLength(0);
  });
});
