import { describe, expect, it } from "vitest";
import { liveChats, localSummary, operatorsByState } from "../src/lib/board";
import { draftOf, draftProblems, newDraft, queueBody, serverProblems } from "../src/lib/queues";
import { AMBER_AFTER_MS, byWaiting, levelOfWait, RED_AFTER_MS, waitLevel } from "../src/lib/waiting";
import { movedConversation, upsertConversations } from "../src/state/conversations";
import { activeHighlights, initialTeam, teamReducer, tickedSummary } from "../src/state/team";
import { conversation } from "./fakes";
import { presence, queue } from "./teamFake";

const T0 = Date.parse("2030-01-01T10:00:00Z");

describe("waiting colours (CHAT-9)", () => {
  it("goes fresh, amber after a minute, red after three, and grey once the visitor left", () => {
    const c = conversation({ created_at: "2030-01-01T10:00:00Z" });
    expect(waitLevel(c, T0 + 59_000)).toBe("fresh");
    expect(waitLevel(c, T0 + AMBER_AFTER_MS)).toBe("amber");
    expect(waitLevel(c, T0 + RED_AFTER_MS - 1)).toBe("amber");
    expect(waitLevel(c, T0 + RED_AFTER_MS)).toBe("red");
    expect(waitLevel({ ...c, visitor_left_at: "2030-01-01T10:02:00Z" }, T0 + 600_000)).toBe("left");
    expect(waitLevel({ ...c, state: "active" }, T0 + 600_000)).toBe("none");
    expect(levelOfWait(0)).toBe("fresh");
  });

  it("sorts the longest wait first and the chats whose visitor left last", () => {
    const list = byWaiting([
      conversation({ id: "recent", created_at: "2030-01-01T10:05:00Z" }),
      conversation({ id: "left", created_at: "2030-01-01T09:00:00Z", visitor_left_at: "2030-01-01T09:10:00Z" }),
      conversation({ id: "oldest", created_at: "2030-01-01T09:30:00Z" }),
    ]);
    expect(list.map((c) => c.id)).toEqual(["oldest", "recent", "left"]);
  });
});

describe("moves and the team store", () => {
  it("lets a transfer send an active chat back to waiting, which a stale list copy may not", () => {
    const active = conversation({ state: "active", assigned_user_id: "u1", last_seq: 4 });
    const back = conversation({ state: "waiting", queue_id: "q2", last_seq: 4 });
    expect(upsertConversations({ c1: active }, [back]).c1.state).toBe("active");
    const moved = movedConversation({ c1: active }, { ...back, last_seq: 3 });
    expect(moved.c1).toMatchObject({ state: "waiting", queue_id: "q2", last_seq: 4 });
    const closed = conversation({ state: "closed", last_seq: 5 });
    expect(movedConversation({ c1: closed }, back).c1).toBe(closed);
  });

  it("marks a highlighted visitor until its time is up, and ticks the queues' longest wait", () => {
    let state = teamReducer(initialTeam, { type: "highlight", visitorId: "v1", ruleName: "Big cart", until: T0 + 30_000, now: T0 });
    state = teamReducer(state, { type: "highlight", visitorId: "v2", ruleName: "Pricing", until: T0 + 90_000, now: T0 + 10_000 });
    expect(activeHighlights(state, T0 + 20_000)).toEqual({ v1: "Big cart", v2: "Pricing" });
    expect(activeHighlights(state, T0 + 30_000)).toEqual({ v2: "Pricing" });
    const summary = { queues: [
      { queue_id: "q1", name: "Sales", open_now: true, waiting: 2, longest_wait_seconds: 50, online_operators: 1, free_slots: 2 },
      { queue_id: "q2", name: "Support", open_now: true, waiting: 0, longest_wait_seconds: 0, online_operators: 0, free_slots: 0 },
    ], at: T0 };
    expect(tickedSummary(summary, T0 + 15_500)?.map((q) => q.longest_wait_seconds)).toEqual([65, 0]);
  });

  it("keeps a presence frame newer than the list fetched before it", () => {
    const fresh = presence("u2", "Ben", { status: "break", status_changed_at: "2030-01-01T10:00:00Z" });
    let state = teamReducer(initialTeam, { type: "presence.updated", presence: fresh });
    state = teamReducer(state, { type: "presence.loaded", operators: [presence("u2", "Ben"), presence("u3", "Cleo")] });
    expect(state.presence.u2.status).toBe("break");
    expect(operatorsByState(state.presence).map((p) => p.name)).toEqual(["Cleo", "Ben"]);
  });
});

describe("the board's figures", () => {
  it("counts waiting chats, online members and free slots per queue when the server has no summary", () => {
    const sales = queue("q1", "Sales", { members: [{ user_id: "u2", priority: 0 }, { user_id: "u3", priority: 1 }] });
    const chats = [
      conversation({ id: "a", queue_id: "q1", created_at: "2030-01-01T09:58:00Z" }),
      conversation({ id: "b", queue_id: "q1", created_at: "2030-01-01T09:59:00Z" }),
      conversation({ id: "c", queue_id: "q1", state: "active" }),
    ];
    const staff = { u2: presence("u2", "Ben", { active_chats: 1 }), u3: presence("u3", "Cleo", { status: "away" }) };
    expect(localSummary([sales], chats, staff, T0)).toEqual([
      { queue_id: "q1", name: "Sales", open_now: true, waiting: 2, longest_wait_seconds: 120, online_operators: 1, free_slots: 2 },
    ]);
    expect(liveChats(chats).map((c) => c.id)).toEqual(["a", "b", "c"]);
  });
});

describe("the department draft", () => {
  it("checks hours, holidays and priorities before sending, and sends the whole queue", () => {
    const draft = { ...newDraft(), name: " Sales ", always_open: false, time_zone: "Europe/Berlin" };
    draft.weekly = {
      ...draft.weekly,
      mon: [
        { start: "09:00", end: "13:00" },
        { start: "12:00", end: "17:00" },
      ],
      sat: [{ start: "18:00", end: "10:00" }],
    };
    draft.holidays = ["2030-12-25", "25.12."];
    draft.members = [{ user_id: "u2", priority: "x" }];
    expect(draftProblems(draft)).toEqual({
      "hours.weekly.mon": "09:00-13:00 and 12:00-17:00 overlap.",
      "hours.weekly.sat": "18:00-10:00 ends before it starts.",
      "hours.holidays": "25.12. is not a date (YYYY-MM-DD).",
      "members.0.priority": "A priority is a whole number from 0 to 1000.",
    });
    draft.weekly = { ...draft.weekly, mon: [{ start: "09:00", end: "17:00" }], sat: [] };
    draft.holidays = ["2030-12-26", "2030-12-25"];
    draft.members = [{ user_id: "u2", priority: "5" }];
    draft.sections = "Laptops\n\n/checkout/ ";
    expect(draftProblems(draft)).toEqual({});
    const body = queueBody(draft);
    expect(body).toMatchObject({
      name: "Sales",
      welcome_message: null,
      sections: ["Laptops", "/checkout/"],
      members: [{ user_id: "u2", priority: 5 }],
      hours: { time_zone: "Europe/Berlin", holidays: ["2030-12-25", "2030-12-26"] },
    });
    expect(body.hours?.weekly.mon).toEqual([{ start: "09:00", end: "17:00" }]);
    expect("webhook_secret" in body).toBe(false);
    expect(draftOf(queue("q1", "Sales")).always_open).toBe(true);
    expect(serverProblems([{ field: "hours.weekly.mon", message: "Value error, overlap" }])).toEqual({
      "hours.weekly.mon": "overlap",
    });
  });
});
