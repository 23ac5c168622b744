import { describe, expect, it } from "vitest";
import {
  activeList,
  newerConversation,
  replaceConversationsInState,
  upsertConversations,
  waitingList,
} from "../src/state/conversations";
import { contiguousSeq, mergeMessages, visiblePending } from "../src/state/messages";
import {
  attentionCount,
  conversationsWithGap,
  initialState,
  reducer,
  type Action,
  type ConsoleState,
} from "../src/state/store";
import { removeVisitor, replaceVisitors, upsertVisitor, visitorList } from "../src/state/visitors";
import { conversation, message, visitor } from "./fakes";

const run = (actions: Action[], state: ConsoleState = initialState) => actions.reduce(reducer, state);

describe("mergeMessages", () => {
  it("orders messages by seq whatever order they arrive in", () => {
    const merged = mergeMessages(mergeMessages([], [message(3), message(1)]), [message(2), message(5), message(4)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("drops duplicates by id and by seq, keeping the copy it already has", () => {
    const first = mergeMessages([], [message(1), message(2)]);
    const merged = mergeMessages(first, [message(2), { ...message(1), id: "other-id", text: "replayed" }, message(3)]);
    expect(merged.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
    expect(merged[0].text).toBe("message 1");
  });

  it("returns the same array when nothing is new", () => {
    const existing = mergeMessages([], [message(1)]);
    expect(mergeMessages(existing, [message(1)])).toBe(existing);
  });

  it("hides a pending message once the server stored it", () => {
    const pending = [
      { conversation_id: "c1", client_msg_id: "k1", text: "a", queued_at: 0, status: "sending" as const },
      { conversation_id: "c1", client_msg_id: "k2", text: "b", queued_at: 0, status: "sending" as const },
      { conversation_id: "c2", client_msg_id: "k3", text: "c", queued_at: 0, status: "sending" as const },
    ];
    const stored = [message(1, { client_msg_id: "k1", sender_type: "operator" })];
    expect(visiblePending(pending, "c1", stored).map((p) => p.client_msg_id)).toEqual(["k2"]);
  });
});

describe("contiguous seq", () => {
  it("is the highest seq up to which nothing is missing", () => {
    expect(contiguousSeq([])).toBe(0);
    expect(contiguousSeq([message(1), message(2), message(4)])).toBe(2);
    expect(contiguousSeq([message(2), message(3)])).toBe(0);
    expect(contiguousSeq([message(5), message(6), message(8)], 4)).toBe(6); // from what the server said
  });

  it("follows a loaded conversation through a gap and its filling, live arrivals of others aside", () => {
    const loaded = run([{ type: "messages.loaded", conversationId: "c1", messages: [message(2), message(1)] }]);
    expect(loaded.complete).toEqual({ c1: 2 });
    const live = [message(4), message(1, { conversation_id: "c2" })];
    const gap = run([{ type: "messages.received", messages: live }], loaded);
    expect(gap.complete).toEqual({ c1: 2 });
    expect(conversationsWithGap(gap)).toEqual(["c1"]); // c2 is not loaded: its history brings everything
    const filled = run([{ type: "messages.received", messages: [message(3)] }], gap);
    expect(filled.complete).toEqual({ c1: 4 });
    expect(conversationsWithGap(filled)).toEqual([]);
    const done = run([{ type: "messages.complete", conversationId: "c1", lastSeq: 4 }], filled);
    expect(done).toBe(filled);
  });
});

describe("conversations", () => {
  it("sorts the waiting list by waiting time, longest first, live updates included", () => {
    let map = upsertConversations({}, [
      conversation({ id: "recent", created_at: "2030-01-01T10:05:00Z" }),
      conversation({ id: "oldest", created_at: "2030-01-01T09:00:00Z" }),
      conversation({ id: "active", state: "active", created_at: "2030-01-01T08:00:00Z" }),
    ]);
    map = upsertConversations(map, [conversation({ id: "middle", created_at: "2030-01-01T09:30:00+00:00" })]);
    expect(waitingList(map).map((c) => c.id)).toEqual(["oldest", "middle", "recent"]);
  });

  it("does not let a stale copy undo a newer state", () => {
    const accepted = conversation({ state: "active", assigned_user_id: "u1", last_seq: 2 });
    expect(newerConversation(accepted, conversation({ state: "waiting", last_seq: 2 }))).toBe(accepted);
    const closed = conversation({ state: "closed", last_seq: 3 });
    expect(newerConversation(accepted, closed)).toBe(closed);
    const older = conversation({ state: "active", last_seq: 1 });
    expect(newerConversation(accepted, older)).toBe(accepted);
  });

  it("drops conversations that left a state on a reload, but keeps the selected one", () => {
    const map = upsertConversations({}, [conversation({ id: "gone" }), conversation({ id: "open" })]);
    const next = replaceConversationsInState(map, "waiting", [conversation({ id: "new" })], (id) => id === "open");
    expect(Object.keys(next).sort()).toEqual(["new", "open"]);
  });

  it("lists only the caller's active conversations", () => {
    const map = upsertConversations({}, [
      conversation({ id: "mine", state: "active", assigned_user_id: "u1" }),
      conversation({ id: "theirs", state: "active", assigned_user_id: "u2" }),
      conversation({ id: "queued" }),
    ]);
    expect(activeList(map, "u1").map((c) => c.id)).toEqual(["mine"]);
  });
});

describe("visitors", () => {
  it("merges by id, ignores an older copy, and removes on leave", () => {
    let map = upsertVisitor({}, visitor());
    map = upsertVisitor(map, visitor({ current_title: "Cart", last_seen_at: "2030-01-01T10:01:00Z" }));
    map = upsertVisitor(map, visitor({ current_title: "stale", last_seen_at: "2030-01-01T09:59:00Z" }));
    map = upsertVisitor(map, visitor({ visitor_id: "v2", last_seen_at: "2030-01-01T10:02:00Z" }));
    expect(visitorList(map).map((v) => [v.visitor_id, v.current_title])).toEqual([
      ["v2", "Laptop Pro 14"],
      ["v-000001", "Cart"],
    ]);
    expect(Object.keys(removeVisitor(map, "v2"))).toEqual(["v-000001"]);
  });

  it("replaces the live list on reload but keeps a newer socket update", () => {
    const map = upsertVisitor({}, visitor({ current_title: "Cart", last_seen_at: "2030-01-01T10:01:00Z" }));
    const next = replaceVisitors({ ...map, left: visitor({ visitor_id: "left" }) }, [visitor()]);
    expect(Object.keys(next)).toEqual(["v-000001"]);
    expect(next["v-000001"].current_title).toBe("Cart");
  });
});

describe("reducer", () => {
  const waiting = conversation({ id: "c1" });
  const active = conversation({ id: "c2", state: "active", assigned_user_id: "u1" });

  it("counts unread visitor messages of conversations the operator is not looking at", () => {
    const state = run([
      { type: "conversations.loaded", state: "waiting", conversations: [waiting], since: 0 },
      { type: "conversations.loaded", state: "active", conversations: [active], since: 0 },
      {
        type: "messages.received",
        messages: [message(1, { conversation_id: "c2" }), message(2, { conversation_id: "c2" })],
      },
      { type: "messages.received", messages: [message(2, { conversation_id: "c2" })] },
      { type: "messages.received", messages: [message(3, { conversation_id: "c2", sender_type: "operator" })] },
    ]);
    expect(state.unread).toEqual({ c2: 2 });
    expect(state.conversations.c2.last_seq).toBe(3);
    expect(attentionCount(state)).toBe(3); // one waiting + two unread
    expect(attentionCount(reducer(state, { type: "selected", conversationId: "c2" }))).toBe(1);
  });

  it("does not count a loaded history as unread and marks it loaded", () => {
    const state = run([
      { type: "conversations.loaded", state: "active", conversations: [active], since: 0 },
      { type: "messages.loaded", conversationId: "c2", messages: [message(2, { conversation_id: "c2" })] },
      { type: "messages.loaded", conversationId: "c1", messages: [] },
    ]);
    expect(state.unread).toEqual({});
    expect(state.loaded).toEqual({ c2: true, c1: true });
  });

  it("keeps messages unread while the tab is hidden, and clears them when it is seen", () => {
    const hidden = run([
      { type: "conversations.loaded", state: "active", conversations: [active], since: 0 },
      { type: "selected", conversationId: "c2" },
      { type: "attention", attentive: false },
      { type: "messages.received", messages: [message(1, { conversation_id: "c2" })] },
    ]);
    expect(hidden.unread).toEqual({ c2: 1 });
    expect(reducer(hidden, { type: "attention", attentive: true }).unread).toEqual({});
  });

  it("forgets an erased visitor's conversation, and a list fetched before that does not bring it back", () => {
    const since = initialState.rev;
    const loaded = run([
      { type: "conversations.loaded", state: "waiting", conversations: [waiting], since },
      { type: "conversations.loaded", state: "active", conversations: [active], since },
      { type: "messages.received", messages: [message(1, { conversation_id: "c2" })] },
      { type: "selected", conversationId: "c2" },
    ]);
    const reloadFrom = loaded.rev;
    const state = run(
      [
        { type: "conversation.removed", conversationId: "c2" },
        { type: "conversations.loaded", state: "active", conversations: [active], since: reloadFrom }, // stale
      ],
      loaded,
    );
    expect(Object.keys(state.conversations)).toEqual(["c1"]);
    expect(state.messages.c2).toBeUndefined();
    expect(state.selectedId).toBeNull();
    const later = reducer(state, {
      type: "conversations.loaded",
      state: "waiting",
      conversations: [waiting],
      since: state.rev,
    });
    expect(Object.keys(later.conversations)).toEqual(["c1"]);
  });

  it("does not let a list fetched before a socket event undo it", () => {
    const since = initialState.rev; // the reload starts here
    const state = run([
      { type: "conversation.upserted", conversation: conversation({ id: "new" }) }, // event during the fetch
      { type: "visitor.updated", visitor: visitor({ visitor_id: "arrived" }) },
      { type: "visitor.left", visitorId: "v-000001" },
      { type: "conversations.loaded", state: "waiting", conversations: [], since },
      { type: "visitors.loaded", visitors: [visitor()], since },
    ]);
    expect(waitingList(state.conversations).map((c) => c.id)).toEqual(["new"]);
    expect(Object.keys(state.visitors)).toEqual(["arrived"]);
    // A later reload that no longer lists them does drop them.
    const later = run(
      [
        { type: "conversations.loaded", state: "waiting", conversations: [], since: state.rev },
        { type: "visitors.loaded", visitors: [], since: state.rev },
      ],
      state,
    );
    expect(waitingList(later.conversations)).toEqual([]);
    expect(later.visitors).toEqual({});
  });

  it("removes a pending message when its stored copy arrives", () => {
    const pending = {
      conversation_id: "c2",
      client_msg_id: "k1",
      text: "hi",
      queued_at: 0,
      status: "sending" as const,
    };
    const state = run([
      { type: "pending.changed", pending: [pending] },
      { type: "messages.received", messages: [message(1, { conversation_id: "c2", client_msg_id: "k1" })] },
    ]);
    expect(state.pending).toEqual([]);
    expect(state.messages.c2.map((m) => m.seq)).toEqual([1]);
  });
});
