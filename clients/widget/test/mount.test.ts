import { beforeEach, describe, expect, it, vi } from "vitest";
import { useChatPage } from "./chat_page";
import type { ChatState, Conversation, Message, PublicSite } from "../src/shared/types";
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
  const page = useChatPage();
  const { $ } = page;
  let launcher: HTMLButtonElement;
  const states: ChatState[] = [];

  beforeEach(() => {
    states.length = 0;
    launcher = document.createElement("button");
    page.root.append(launcher);
  });
  const messages = () => [...page.root.querySelectorAll<HTMLElement>('[data-fw="message"]')];

  function start(server: ReturnType<typeof gateway>, open?: boolean) {
    page.mount(site, server.fetch, { open, onState: (s) => states.push(s), launcher });
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
    expect(socket.url).toBe("wss://gw.example/ws/visitor"); // no token in the URL
    socket.open();
    expect(socket.sent[0]).toEqual({ type: "auth", token: "tok" });
    socket.receive({ type: "conversation.updated", conversation: conversation({ state: "active", assigned_user_name: "Ana" }) });
    socket.receive({ type: "message.created", message: message(2, { text: "Yes, we do." }) });
    expect($("status").textContent).toBe("Ana");
    expect(messages()[1].querySelector('[data-fw="sender-name"]')!.textContent).toBe("Ana");
    expect(JSON.parse(localStorage.getItem("fw:conv:k")!)).toEqual({ conversation_id: "c1", last_seq: 2, open: true });
  });

  it("fills a skipped seq and shows every message once", async () => {
    const server = gateway();
    server.state.conversation = conversation({ state: "active" });
    server.state.messages = [message(1), message(2), message(3)];
    start(server, true);
    await settle();
    const socket = FakeSocket.latest();
    socket.open();
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 3 });
    socket.receive({ type: "message.created", message: message(5) });
    expect(socket.framesOfType("resume").at(-1)).toEqual({ type: "resume", conversation_id: "c1", after_seq: 3 });
    socket.receive({ type: "message.created", message: message(4) });
    socket.receive({ type: "message.created", message: message(5) });
    socket.receive({ type: "resume.done", conversation_id: "c1", last_seq: 5 });
    expect(messages().map((m) => m.dataset.seq)).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("tells a message being sent again from one that failed, and offers a retry only for the failed one", async () => {
    const server = gateway();
    server.state.conversation = conversation({ state: "active" });
    start(server, true);
    await settle();
    const socket = FakeSocket.latest();
    socket.open();
    const input = $<HTMLTextAreaElement>("input");
    for (const text of ["first", "second"]) {
      input.value = text;
      input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    }
    const [first, second] = socket.framesOfType("message.send").map((f) => f.client_msg_id as string);
    socket.receive({ type: "error", code: "service_unavailable", message: "Later.", retryable: true, client_msg_id: first });
    socket.receive({ type: "error", code: "internal_error", message: "Oops.", retryable: false, client_msg_id: second });
    expect(messages().map((m) => [m.dataset.state, m.dataset.error, !!m.querySelector('[data-fw="retry"]')])).toEqual([
      ["pending", "service_unavailable", false],
      ["failed", "internal_error", true],
    ]);
    messages()[1].querySelector<HTMLButtonElement>('[data-fw="retry"]')!.click();
    expect(socket.framesOfType("message.send").at(-1)!.client_msg_id).toBe(second);
    expect(messages()[1].dataset.state).toBe("pending");
  });

  it("opens a new widget session when the socket is closed with 1008, and authenticates with its token", async () => {
    const server = gateway();
    server.state.conversation = conversation({ state: "active" });
    const sessionFetch = vi.fn(async () => new Response(JSON.stringify({ visitor_token: "tok-2", visitor_id: "v1", expires_in: 3600, site }), { status: 200 }));
    vi.stubGlobal("fetch", sessionFetch);
    try {
      start(server, true);
      await settle();
      FakeSocket.latest().open();
      FakeSocket.latest().drop(1008, "token expired");
      await new Promise((resolve) => setTimeout(resolve, 600)); // the backoff's first wait
      await settle();
      expect(sessionFetch).toHaveBeenCalledTimes(1);
      const next = FakeSocket.latest();
      expect(FakeSocket.all).toHaveLength(2);
      next.open();
      expect(next.sent[0]).toEqual({ type: "auth", token: "tok-2" });
    } finally {
      vi.unstubAllGlobals();
    }
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
    const badge = () => launcher.querySelector<HTMLElement>('[data-fw="unread"]')!;
    expect([badge().hidden, badge().textContent, launcher.getAttribute("aria-expanded")]).toEqual([false, "1", "false"]);
    for (let seq = 2; seq <= 10; seq++) FakeSocket.latest().receive({ type: "message.created", message: message(seq) });
    expect(badge().textContent).toBe("9+");
    page.handle!.toggle();
    expect(states[states.length - 1]).toEqual({ open: true, unread: 0 });
    expect([badge().hidden, badge().textContent, launcher.getAttribute("aria-expanded")]).toEqual([true, "", "true"]);
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
    page.handle!.destroy();
    page.handle = null;
    expect(page.box.children).toHaveLength(0);
    expect(launcher.children).toHaveLength(0); // the unread badge too
    expect(socket.readyState).toBe(3);
    vi.useFakeTimers();
    vi.advanceTimersByTime(20000);
    vi.useRealTimers();
    expect(FakeSocket.all).toHaveLength(1);
  });
});
