import { beforeEach, describe, expect, it } from "vitest";
import { loadSavedConversation, MessageStore, PendingQueue, saveConversation } from "../src/chat/store";
import { message } from "./helpers";

describe("MessageStore", () => {
  it("keeps messages sorted by seq whatever order they arrive in", () => {
    const store = new MessageStore();
    store.merge([message(3), message(1)]);
    store.merge([message(2)]);
    expect(store.list().map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("drops duplicates by seq and by id", () => {
    const store = new MessageStore();
    store.merge([message(1), message(2)]);
    const added = store.merge([message(2), message(1, { text: "again" }), message(7, { id: "m1" }), message(3)]);
    expect(added.map((m) => m.seq)).toEqual([3]);
    expect(store.list().map((m) => m.text)).toEqual(["message 1", "message 2", "message 3"]);
  });

  it("reports only what is new, in seq order", () => {
    const store = new MessageStore();
    store.merge([message(2)]);
    expect(store.merge([message(4), message(2), message(3)]).map((m) => m.seq)).toEqual([3, 4]);
  });

  it("advances lastSeq only over a contiguous run, so a gap is fetched again on resume", () => {
    const store = new MessageStore();
    store.merge([message(1), message(2), message(4)]);
    expect(store.lastSeq).toBe(2);
    store.merge([message(3)]);
    expect(store.lastSeq).toBe(4);
  });

  it("trusts the server's word that everything up to a seq was delivered", () => {
    const store = new MessageStore();
    store.merge([message(1)]);
    store.markComplete(5); // e.g. resume.done after retracted messages
    expect(store.lastSeq).toBe(5);
    store.merge([message(6)]);
    expect(store.lastSeq).toBe(6);
    store.markComplete(3);
    expect(store.lastSeq).toBe(6);
  });

  it("starts over for another conversation", () => {
    const store = new MessageStore();
    store.merge([message(1), message(2)]);
    store.reset();
    expect(store.lastSeq).toBe(0);
    expect(store.merge([message(1)])).toHaveLength(1);
  });

  it("ignores malformed messages", () => {
    const store = new MessageStore();
    store.merge([message(0), message(1.5), null as never]);
    expect(store.size).toBe(0);
  });
});

describe("PendingQueue", () => {
  beforeEach(() => localStorage.clear());

  const item = (id: string, conversation_id: string | null = "c1") => ({
    client_msg_id: id,
    conversation_id,
    text: `text ${id}`,
    created_at: "2024-05-01T14:05:00Z",
  });

  it("persists pending messages so that a reload still has them", () => {
    const queue = new PendingQueue(localStorage, "fw:pending:k");
    queue.add(item("a"));
    queue.add(item("b"));
    const reloaded = new PendingQueue(localStorage, "fw:pending:k");
    expect(reloaded.list().map((p) => p.client_msg_id)).toEqual(["a", "b"]);
  });

  it("never holds the same client_msg_id twice", () => {
    const queue = new PendingQueue(localStorage, "fw:pending:k");
    queue.add(item("a"));
    queue.add(item("a"));
    expect(queue.size).toBe(1);
  });

  it("removes acknowledged messages and clears the storage key when empty", () => {
    const queue = new PendingQueue(localStorage, "fw:pending:k");
    queue.add(item("a"));
    expect(queue.remove("a")?.text).toBe("text a");
    expect(queue.remove("a")).toBeNull();
    expect(localStorage.getItem("fw:pending:k")).toBeNull();
  });

  it("assigns messages written before the conversation existed to it", () => {
    const queue = new PendingQueue(localStorage, "fw:pending:k");
    queue.add(item("a", null));
    queue.add(item("b", null));
    queue.assign("c9");
    expect(new PendingQueue(localStorage, "fw:pending:k").forConversation("c9")).toHaveLength(2);
  });

  it("survives garbage in storage", () => {
    localStorage.setItem("fw:pending:k", "{not json");
    expect(new PendingQueue(localStorage, "fw:pending:k").size).toBe(0);
  });
});

describe("saved conversation", () => {
  beforeEach(() => localStorage.clear());

  it("round-trips {conversation_id, last_seq, open} under fw:conv:<siteKey>", () => {
    saveConversation(localStorage, "site-1", { conversation_id: "c1", last_seq: 4, open: true });
    expect(JSON.parse(localStorage.getItem("fw:conv:site-1")!)).toEqual({ conversation_id: "c1", last_seq: 4, open: true });
    expect(loadSavedConversation(localStorage, "site-1")).toEqual({ conversation_id: "c1", last_seq: 4, open: true });
    expect(loadSavedConversation(localStorage, "other")).toBeNull();
  });
});
