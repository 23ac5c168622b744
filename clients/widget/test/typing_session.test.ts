import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatApi } from "../src/chat/api";
import { ChatSession } from "../src/chat/session";
import { DRAFT_EVERY_MS, SHOWN_FOR_MS } from "../src/chat/typing";
import { createView } from "../src/chat/view";
import type { PublicSite } from "../src/shared/types";
import { conversation, FAKE_TIMERS, FakeSocket, fakeFetch, message, settle } from "./helpers";

const site = { id: "s1", name: "Shop", widget: {} } as unknown as PublicSite;

/** A session in an accepted conversation: the visitor's message 1, the operator's 2. */
async function chatting(sneakPeek: boolean) {
  const active = conversation({ state: "active", last_seq: 2, assigned_user_name: "Ana" });
  const history = [message(1, { sender_type: "visitor", sender_name: null, text: "Hi" }), message(2, { text: "Hello!" })];
  const server = fakeFetch({
    "GET /api/v1/conversations/current": () => ({ status: 200, body: active }),
    "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: history } }),
  });
  const session = new ChatSession({
    siteKey: "k",
    storage: localStorage,
    api: new ChatApi("https://gw.example", () => "tok", server.fetch),
    socketUrl: () => "wss://gw.example/ws/visitor",
    socketToken: () => "tok",
    socketFactory: FakeSocket.factory,
    random: () => 0,
    sneakPeek,
  });
  await session.start();
  await settle();
  const socket = FakeSocket.latest();
  socket.open();
  await settle();
  return { session, socket };
}

describe("typing and read marks in the widget's session", () => {
  beforeEach(() => {
    localStorage.clear();
    FakeSocket.all = [];
    vi.useFakeTimers(FAKE_TIMERS as never);
  });
  afterEach(() => vi.useRealTimers());

  it("sends the draft while the visitor types (sneak-peek), and only that they type when the site says no", async () => {
    const { session, socket } = await chatting(true);
    session.typed("Do you");
    session.typed("Do you ship?");
    vi.advanceTimersByTime(DRAFT_EVERY_MS);
    expect(socket.framesOfType("typing")).toEqual([
      { type: "typing", conversation_id: "c1", typing: true, draft: "Do you" },
      { type: "typing", conversation_id: "c1", typing: true, draft: "Do you ship?" },
    ]);
    session.destroy();

    const quiet = await chatting(false);
    quiet.session.typed("my address is 5 Main St");
    expect(quiet.socket.framesOfType("typing")).toEqual([{ type: "typing", conversation_id: "c1", typing: true }]);
    quiet.session.destroy();
  });

  it("shows 'operator is typing' until their message arrives or the signal expires", async () => {
    const { session, socket } = await chatting(true);
    const view = createView(document.createElement("div"), site, { send: () => "ok", minimise() {}, endChat() {}, retry() {} });
    const line = () => view.panel.querySelector<HTMLElement>('[data-fw="typing"]')!;
    view.setOpen(true, false);
    const typing = { type: "conversation.typing", conversation_id: "c1", from: "operator", name: "Ana", typing: true };
    socket.receive(typing);
    view.render(session.snapshot());
    expect(line().hidden).toBe(false);
    expect(line().textContent).toBe("Ana is typing…");
    socket.receive({ type: "message.created", message: message(3, { text: "We do." }) });
    view.render(session.snapshot());
    expect(line().hidden).toBe(true);

    socket.receive({ ...typing, conversation_id: "other" }); // another conversation's: not this one
    socket.receive({ ...typing, from: "visitor" }); // the visitor's own other tab
    expect(session.snapshot().operatorTyping).toBeNull();
    socket.receive(typing);
    vi.advanceTimersByTime(SHOWN_FOR_MS);
    expect(session.snapshot().operatorTyping).toBeNull();
    session.destroy();
    view.destroy();
  });

  it("marks the visitor's messages delivered, then read when the operator's mark reaches them", async () => {
    const { session, socket } = await chatting(true);
    const view = createView(document.createElement("div"), site, { send: () => "ok", minimise() {}, endChat() {}, retry() {} });
    view.render(session.snapshot());
    const mark = () => view.panel.querySelector('[data-fw="message"][data-sender="visitor"] [data-fw="mark"]');
    expect([mark()?.textContent, mark()?.getAttribute("title")]).toEqual(["✓", "Delivered"]);
    expect(view.panel.querySelectorAll('[data-sender="operator"] [data-fw="mark"]')).toHaveLength(0);
    socket.receive({ type: "conversation.read", conversation_id: "c1", reader: "operator", reader_id: "u1", seq: 1 });
    view.render(session.snapshot());
    expect([mark()?.textContent, mark()?.getAttribute("title")]).toEqual(["✓✓", "Read"]);

    session.markRead(); // the visitor sees the panel: their mark goes to the operator, once
    session.markRead();
    expect(socket.framesOfType("read")).toEqual([{ type: "read", conversation_id: "c1", seq: 2 }]);
    session.destroy();
    view.destroy();
  });
});
