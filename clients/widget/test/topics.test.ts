/** Topics, availability and the waiting position (EMB-4, EMB-6, ROUTE-4) in the chat bundle. */
import { describe, expect, it } from "vitest";
import { formatHours } from "../src/chat/topics";
import { statusText } from "../src/chat/view";
import type { Conversation, Message, OpeningHours, PublicSite, QueueAvailability } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { conversation, FakeSocket, fakeFetch, message, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Ask us", sound: false } };
const OFFICE: OpeningHours = {
  time_zone: "Europe/Berlin",
  weekly: {
    mon: [{ start: "09:00", end: "17:00" }],
    tue: [{ start: "09:00", end: "17:00" }],
    wed: [{ start: "09:00", end: "17:00" }],
    thu: [{ start: "09:00", end: "17:00" }],
    fri: [{ start: "09:00", end: "13:00" }],
    sat: [],
    sun: [],
  },
  holidays: [],
};
const SALES: QueueAvailability = { queue_id: "q-sales", name: "Sales", online: true, open_now: true, hours: null };
const BILLING: QueueAvailability = { queue_id: "q-billing", name: "Billing", online: false, open_now: false, hours: OFFICE };

function gateway(queues: QueueAvailability[] | null) {
  const state: { conversation: Conversation | null; messages: Message[]; created: unknown[] } = {
    conversation: null,
    messages: [],
    created: [],
  };
  const routes: Parameters<typeof fakeFetch>[0] = {
    "GET /api/v1/conversations/current": () =>
      state.conversation ? { status: 200, body: state.conversation } : { status: 404, body: { error: { code: "no_open_conversation" } } },
    "POST /api/v1/conversations": ({ body }) => {
      state.created.push(body);
      const { text, client_msg_id } = body as { text: string; client_msg_id: string };
      state.conversation = conversation({ last_seq: 1, queue_id: "q-sales", position: 3, expected_wait_seconds: 240 });
      state.messages = [message(1, { sender_type: "visitor", sender_name: null, text, client_msg_id })];
      return { status: 201, body: state.conversation };
    },
    "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: state.messages } }),
  };
  if (queues) routes["GET /api/v1/queues/availability"] = () => ({ status: 200, body: { queues } });
  return { ...fakeFetch(routes), state };
}

describe("opening hours as text", () => {
  it("groups consecutive days with the same hours and names the time zone", () => {
    expect(formatHours(OFFICE)).toBe("Mon–Thu 09:00–17:00, Fri 09:00–13:00 (Europe/Berlin)");
    expect(formatHours(null)).toBe("");
    const closed = { ...OFFICE, weekly: { ...OFFICE.weekly, mon: [], tue: [], wed: [], thu: [], fri: [] } };
    expect(formatHours(closed)).toBe("");
  });
});

describe("the waiting position", () => {
  it("tells the visitor their place and the expected wait, as much as is known", () => {
    expect(statusText(conversation({ position: 2, expected_wait_seconds: 240 }), false)).toBe(
      "Waiting for an operator… You are number 2 in the queue, about 4 min",
    );
    expect(statusText(conversation({ position: 1, expected_wait_seconds: 0 }), false)).toBe(
      "Waiting for an operator… You are number 1 in the queue, an operator will be with you shortly",
    );
    expect(statusText(conversation({ position: 5, expected_wait_seconds: null }), false)).toBe(
      "Waiting for an operator… You are number 5 in the queue",
    );
    expect(statusText(conversation(), false)).toBe("Waiting for an operator…");
  });
});

describe("topics before the first message", () => {
  const page = useChatPage();

  const { $ } = page;

  function start(server: ReturnType<typeof gateway>) {
    page.mount(site, server.fetch);
  }

  function write(text: string) {
    const input = $<HTMLTextAreaElement>("input");
    input.value = text;
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  }

  function choose(queueId: string) {
    const select = $<HTMLSelectElement>("topic");
    select.value = queueId;
    select.dispatchEvent(new Event("change"));
  }

  it("lets the visitor pick a topic; an unavailable one says so with its hours, and no form pretends otherwise", async () => {
    const server = gateway([SALES, BILLING]);
    start(server);
    await settle();
    expect($("topics").hidden).toBe(false);
    const options = [...$<HTMLSelectElement>("topic").options].map((o) => [o.value, o.textContent]);
    expect(options).toEqual([
      ["q-sales", "Sales"],
      ["q-billing", "Billing"],
    ]);
    expect($("offline").hidden).toBe(true);
    expect($("composer").hidden).toBe(false);

    choose("q-billing");
    expect($("offline").hidden).toBe(false);
    expect($("offline-text").textContent).toBe("Nobody is available in Billing right now.");
    expect($("offline-hours").textContent).toBe("Opening hours: Mon–Thu 09:00–17:00, Fri 09:00–13:00 (Europe/Berlin)");
    expect($("composer").hidden).toBe(true);
    // the offline form is a real one now (EMB-7, `offline.ts`): it makes a ticket answered by email
    expect(page.root.querySelector('[data-fw="offline"] [data-fw="offline-form"]')).not.toBeNull();

    choose("q-sales");
    expect($("offline").hidden).toBe(true);
    write("Do you ship to Porto?");
    await settle();
    expect(server.state.created).toEqual([{ text: "Do you ship to Porto?", client_msg_id: expect.any(String), queue_id: "q-sales", language: "en" }]);
    expect($("topics").hidden).toBe(true); // chosen for good once the chat started
  });

  it("shows the position from the start and moves it with conversation.position frames", async () => {
    const server = gateway([SALES]);
    start(server);
    await settle();
    expect($("topics").hidden).toBe(true); // one topic: nothing to choose
    write("Hello");
    await settle();
    expect($("status").textContent).toBe("Waiting for an operator… You are number 3 in the queue, about 4 min");
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "conversation.position", conversation_id: "c1", queue_id: "q-sales", position: 1, expected_wait_seconds: 0 });
    expect($("status").textContent).toBe("Waiting for an operator… You are number 1 in the queue, an operator will be with you shortly");
    socket.receive({ type: "conversation.position", conversation_id: "other", queue_id: "q-sales", position: 9, expected_wait_seconds: 900 });
    expect($("status").textContent).toContain("number 1");
    // A state change without a position keeps it while the chat still waits there; once active, the operator.
    socket.receive({ type: "conversation.updated", conversation: conversation({ queue_id: "q-sales", position: null }) });
    expect($("status").textContent).toContain("number 1");
    socket.receive({ type: "conversation.updated", conversation: conversation({ state: "active", assigned_user_name: "Ana" }) });
    expect($("status").textContent).toBe("Ana");
  });

  it("without queues (or availability unknown) shows neither a picker nor an offline notice", async () => {
    const server = gateway(null); // the availability call fails (404)
    start(server);
    await settle();
    expect($("topics").hidden).toBe(true);
    expect($("offline").hidden).toBe(true);
    write("Hi");
    await settle();
    expect(server.state.created).toEqual([{ text: "Hi", client_msg_id: expect.any(String), language: "en" }]);
  });
});
