import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatApi } from "../src/chat/api";
import { ChatSession } from "../src/chat/session";
import { EMOJI, insertEmoji, isNewer, quoteLine } from "../src/chat/edits";
import type { ChatSnapshot } from "../src/chat/session";
import { MessageStore } from "../src/chat/store";
import { createView, type ViewCallbacks } from "../src/chat/view";
import { conversation, FAKE_TIMERS, FakeSocket, fakeFetch, message } from "./helpers";

describe("message edits in the store", () => {
  it("an edit replaces the held message; an older revision arriving late does not undo it", () => {
    const store = new MessageStore();
    store.merge([message(1), message(2)]);
    expect(store.update(message(2, { text: "fixed", revision: 1, edited_at: "2024-05-01T14:06:00Z" }))).toBe(true);
    expect(store.update(message(2, { text: "message 2", revision: 0 }))).toBe(false);
    expect(store.list().map((m) => m.text)).toEqual(["message 1", "fixed"]);
    expect(store.update(message(2, { text: "", revision: 2, retracted_at: "2024-05-01T14:07:00Z" }))).toBe(true);
    expect(store.get(2)?.retracted_at).toBeTruthy();
    expect(store.lastSeq).toBe(2);
  });

  it("an edit of a message not held yet is merged like a new one", () => {
    const store = new MessageStore();
    expect(store.update(message(1, { revision: 1, text: "edited" }))).toBe(true);
    expect(store.list().map((m) => m.text)).toEqual(["edited"]);
    expect(isNewer(undefined, message(3))).toBe(true);
  });

  it("quotes show who wrote what, and a retracted one as deleted", () => {
    expect(quoteLine(message(1, { text: "Hello there" }), "Operator")).toBe("Ana: Hello there");
    expect(quoteLine(message(1, { retracted_at: "x", text: "" }), "Operator")).toBe("Ana: message deleted");
    expect(quoteLine(message(1, { sender_type: "visitor", sender_name: null, text: "x".repeat(100) }), "Operator")).toHaveLength(80);
    expect(quoteLine(undefined, "Operator")).toBe("…");
  });

  it("an emoji goes where the caret is", () => {
    expect(insertEmoji("Hi there", 2, 2, "👋")).toEqual({ text: "Hi👋 there", caret: 4 });
    expect(insertEmoji("Hi", 0, 2, "👍")).toEqual({ text: "👍", caret: 2 });
    expect(EMOJI.length).toBeGreaterThan(8);
  });
});

function snapshot(overrides: Partial<ChatSnapshot> = {}): ChatSnapshot {
  return { conversation: conversation({ state: "active" }), messages: [], pending: [], failed: [], connected: true, creating: false, ...overrides };
}

describe("the widget shows edits, quotes and emoji", () => {
  beforeEach(() => {
    document.body.innerHTML = "";
  });

  function setup() {
    const host = document.createElement("div");
    document.body.appendChild(host);
    const root = host.attachShadow({ mode: "open" });
    const box = document.createElement("div");
    root.appendChild(box);
    const send = vi.fn((_text: string, _quote?: number) => "ok" as const);
    const cb: ViewCallbacks = { send, minimise: vi.fn(), endChat: vi.fn(), retry: vi.fn() };
    const view = createView(box, { id: "s1", name: "Shop", widget: {} }, cb);
    const $$ = (name: string) => [...root.querySelectorAll<HTMLElement>(`[data-fw="${name}"]`)];
    return { view, root, send, $$ };
  }

  it("an edited message changes in place, and a retracted one says message deleted", () => {
    const { view, $$ } = setup();
    view.render(snapshot({ messages: [message(1, { text: "It is 100 EUR" })] }));
    view.render(snapshot({ messages: [message(1, { text: "It is 10 EUR", revision: 1, edited_at: "2024-05-01T14:06:00Z" })] }));
    const text = () => $$("message")[0].querySelector('[data-fw="text"]')!.textContent;
    expect(text()).toBe("It is 10 EUR");
    expect($$("edited")).toHaveLength(1);
    view.render(snapshot({ messages: [message(1, { text: "", revision: 2, retracted_at: "2024-05-01T14:07:00Z" })] }));
    expect(text()).toBe("message deleted");
    expect($$("message")[0].dataset.retracted).toBe("true");
  });

  it("reply quotes the message above the next one, and the quote shows above its text", () => {
    const { view, root, send, $$ } = setup();
    view.render(snapshot({ messages: [message(1, { text: "Which size?" })] }));
    $$("reply")[0].click();
    expect($$("replying")[0].hidden).toBe(false);
    root.querySelector<HTMLTextAreaElement>('[data-fw="input"]')!.value = "M please";
    root.querySelector<HTMLFormElement>('[data-fw="composer"]')!.requestSubmit();
    expect(send).toHaveBeenCalledWith("M please", 1);
    expect($$("replying")[0].hidden).toBe(true);
    view.render(snapshot({ messages: [message(1, { text: "Which size?" }), message(2, { sender_type: "visitor", text: "M please", quote_seq: 1 })] }));
    const quote = $$("message")[1].querySelector<HTMLElement>('[data-fw="quote"]')!;
    expect(quote.textContent).toBe("Ana: Which size?");
    expect(quote.nextElementSibling?.getAttribute("data-fw")).toBe("text");
  });

  it("the emoji picker puts an emoji into the composer", () => {
    const { root, $$ } = setup();
    const input = root.querySelector<HTMLTextAreaElement>('[data-fw="input"]')!;
    input.value = "Thanks";
    input.setSelectionRange(6, 6);
    $$("emoji-toggle")[0].click();
    expect($$("emoji-grid")[0].hidden).toBe(false);
    $$("emoji")[8].click();
    expect(input.value).toBe("Thanks👍");
    expect($$("emoji-grid")[0].hidden).toBe(true);
  });
});

describe("the session applies message.updated and sends quotes", () => {
  beforeEach(() => {
    localStorage.clear();
    FakeSocket.all = [];
    vi.useFakeTimers(FAKE_TIMERS as never);
  });
  afterEach(() => vi.useRealTimers());

  it("an edit over the socket changes the held message; a reply carries quote_seq", async () => {
    const server = fakeFetch({
      "GET /api/v1/conversations/current": () => ({ status: 200, body: conversation({ state: "active", last_seq: 1 }) }),
      "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: [message(1, { text: "It is 100 EUR" })] } }),
    });
    const session = new ChatSession({
      siteKey: "k",
      storage: localStorage,
      api: new ChatApi("https://gw.example", () => "tok", server.fetch),
      socketUrl: () => "wss://gw.example/ws/visitor",
      socketToken: () => "tok",
      socketFactory: FakeSocket.factory,
      random: () => 0,
      uuid: () => "id-1",
    });
    await session.start();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "message.updated", message: message(1, { text: "It is 10 EUR", revision: 1, edited_at: "x" }) });
    socket.receive({ type: "message.updated", message: message(1, { conversation_id: "c9", text: "other", revision: 5 }) });
    expect(session.snapshot().messages.map((m) => m.text)).toEqual(["It is 10 EUR"]);
    expect(session.send("OK", 1)).toBe("ok");
    expect(socket.framesOfType("message.send")[0]).toMatchObject({ text: "OK", quote_seq: 1 });
    session.destroy();
  });
});
