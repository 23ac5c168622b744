import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount } from "../src/chat/mount";
import type { ChatHandle, ChatState, Conversation, Message, PublicSite } from "../src/shared/types";
import { conversation, FakeSocket, fakeFetch, message, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Ask us", greeting: "Hi!", sound: false } };

function gateway() {
  const state: { conversation: Conversation | null; messages: Message[] } = { conversation: null, messages: [] };
  const server = fakeFetch({
    "GET /api/v1/conversations/current": () =>
      state.conversation ? { status: 200, body: state.conversation } : { status: 404, body: { error: { code: "no_open_conversation" } } },
    "POST /api/v1/conversations": ({ body }) => {
      const { text, client_msg_id } = body as { text: string; client_msg_id: string };
      state.conversation = conversation({ last_seq: 1 });
      state.messages = [message(1, { sender_type: "visitor", sender_name: null, text, client_msg_id })];
      return { status: 201, body: state.conversation };
    },
    "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: state.messages } }),
  });
  return { ...server, state };
}

describe("FloorwalkerChat.mount", () => {
  let handle: ChatHandle | null = null;
  let root: ShadowRoot;
  let box: HTMLElement;
  const states: ChatState[] = [];

  beforeEach(() => {
    localStorage.clear();
    FakeSocket.all = [];
    states.length = 0;
    document.body.innerHTML = "";
    const host = document.createElement("div");
    document.body.appendChild(host);
    root = host.attachShadow({ mode: "open" });
    box = document.createElement("div");
    root.appendChild(box);
  });
  afterEach(() => handle?.destroy());

  const $ = <T extends HTMLElement = HTMLElement>(name: string) => root.querySelector<T>(`[data-fw="${name}"]`)!;
  const messages = () => [...root.querySelectorAll<HTMLElement>('[data-fw="message"]')];

  function start(server: ReturnType<typeof gateway>, open?: boolean) {
    handle = mount(
      box,
      { baseUrl: "https://gw.example", siteKey: "k", visitorToken: "tok", site, open, onState: (s) => states.push(s) },
      { fetch: server.fetch, socketFactory: FakeSocket.factory },
    );
  }

  it("runs a whole chat: first message, waiting, operator joins and answers", async () => {
    const server = gateway();
    start(server, true);
    await settle();
    expect($("panel").hidden).toBe(false);
    expect($("greeting").hidden).toBe(false);
    const input = $<HTMLTextAreaElement>("input");
    input.value = "Do you ship to Porto?";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(messages().map((m) => m.dataset.state)).toEqual(["pending"]);
    await settle();
    expect(messages().map((m) => [m.dataset.sender, m.dataset.seq, m.dataset.state])).toEqual([["visitor", "1", "sent"]]);
    expect($("status").textContent).toBe("Waiting for an operator…");

    const socket = FakeSocket.latest();
    expect(socket.url).toBe("wss://gw.example/ws/visitor?token=tok");
    socket.open();
    socket.receive({ type: "conversation.updated", conversation: conversation({ state: "active", assigned_user_name: "Ana" }) });
    socket.receive({ type: "message.created", message: message(2, { text: "Yes, we do." }) });
    expect($("status").textContent).toBe("Ana");
    expect(messages()[1].querySelector('[data-fw="sender-name"]')!.textContent).toBe("Ana");
    expect(JSON.parse(localStorage.getItem("fw:conv:k")!)).toEqual({ conversation_id: "c1", last_seq: 2, open: true });
  });

  it("counts unread operator messages while minimised and resets them on open", async () => {
    const server = gateway();
    server.state.conversation = conversation({ state: "active" });
    start(server, true);
    await settle();
    $("minimise").click();
    expect($("panel").hidden).toBe(true);
    expect(localStorage.getItem("fw:ui:k")).toBe("min");
    FakeSocket.latest().open();
    FakeSocket.latest().receive({ type: "message.created", message: message(1) });
    expect(states[states.length - 1]).toEqual({ open: false, unread: 1 });
    handle!.toggle();
    expect(states[states.length - 1]).toEqual({ open: true, unread: 0 });
    expect(localStorage.getItem("fw:ui:k")).toBeNull();
  });

  it("stays minimised after navigation when the visitor minimised it", async () => {
    localStorage.setItem("fw:ui:k", "min");
    start(gateway());
    await settle();
    expect($("panel").hidden).toBe(true);
    expect(states[0]).toEqual({ open: false, unread: 0 });
  });

  it("removes its DOM and closes the socket on destroy", async () => {
    const server = gateway();
    server.state.conversation = conversation();
    start(server, true);
    await settle();
    const socket = FakeSocket.latest();
    socket.open();
    handle!.destroy();
    handle = null;
    expect(box.children).toHaveLength(0);
    expect(socket.readyState).toBe(3);
    vi.useFakeTimers();
    vi.advanceTimersByTime(20000);
    vi.useRealTimers();
    expect(FakeSocket.all).toHaveLength(1);
  });
});
