import { beforeEach, describe, expect, it, vi } from "vitest";
import { createChannel } from "../src/loader/channel";
import type { Conversation, Message, OpenedInvitation, PublicSite, VisitorChannel } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { FakeSocket, conversation, fakeFetch, message, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Ask us", greeting: "Hi!", sound: false } };

function gateway() {
  const state: { conversation: Conversation | null; messages: Message[] } = { conversation: null, messages: [] };
  const server = fakeFetch({
    "GET /api/v1/conversations/current": () =>
      state.conversation ? { status: 200, body: state.conversation } : { status: 404, body: { error: { code: "no_open_conversation" } } },
    "POST /api/v1/conversations": () => ({ status: 500, body: { error: { code: "not_expected" } } }),
    "GET /api/v1/conversations/c7/messages": () => ({ status: 200, body: { messages: state.messages } }),
  });
  return { ...server, state };
}

describe("the chat on the loader's socket", () => {
  const page = useChatPage();
  let channel: VisitorChannel;

  beforeEach(() => {
    channel = createChannel({ baseUrl: "https://gw.example", siteKey: "k", token: "tok", factory: FakeSocket.factory });
    channel.start();
    FakeSocket.latest().open();
  });

  const { $ } = page;

  function start(server: ReturnType<typeof gateway>, invitation?: OpenedInvitation) {
    page.mount(site, server.fetch, { channel, invitation });
  }

  it("uses the loader's socket for its conversation and leaves it open when the chat ends", async () => {
    const server = gateway();
    server.state.conversation = conversation({ id: "c7", state: "active", last_seq: 1 });
    server.state.messages = [message(1, { conversation_id: "c7" })];
    start(server);
    await settle();
    const socket = FakeSocket.latest();
    expect(FakeSocket.all).toHaveLength(1); // no second socket
    expect(socket.framesOfType("resume")).toEqual([{ type: "resume", conversation_id: "c7", after_seq: 1 }]);
    expect($("connection").hidden).toBe(true); // connected
    socket.receive({ type: "message.created", message: message(2, { conversation_id: "c7", text: "Anything else?" }) });
    expect(page.root.querySelectorAll('[data-fw="message"]')).toHaveLength(2);
    socket.receive({ type: "conversation.updated", conversation: conversation({ id: "c7", state: "closed", last_seq: 2 }) });
    await settle();
    page.handle!.destroy();
    page.handle = null;
    expect(socket.readyState).toBe(1); // still the tab's, for the next invitation
    expect(channel.connected).toBe(true);
  });

  it("opened on an invitation: shows it, and the first message accepts it and goes to its conversation", async () => {
    const server = gateway();
    const accept = vi.fn(async () => {
      server.state.conversation = conversation({ id: "c7", state: "active", last_seq: 1, assigned_user_name: "Olga" });
      server.state.messages = [message(1, { conversation_id: "c7", text: "Need a hand?", sender_name: "Olga" })];
      return server.state.conversation;
    });
    const close = vi.fn();
    start(server, { text: "Need a hand?", operator: { id: "u1", name: "Olga", photo_url: null }, accept, close });
    await settle();
    const invited = $("invitation-message");
    expect(invited.hidden).toBe(false);
    expect(invited.textContent).toContain("Olga");
    expect(invited.textContent).toContain("Need a hand?");
    expect($("greeting").hidden).toBe(true);
    const input = $<HTMLTextAreaElement>("input");
    input.value = "Yes, the 14-inch one.";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(accept).toHaveBeenCalledTimes(1);
    expect(server.calls.some((c) => c.method === "POST" && c.url.endsWith("/api/v1/conversations"))).toBe(false);
    const sent = FakeSocket.latest().framesOfType("message.send");
    expect(sent).toEqual([expect.objectContaining({ conversation_id: "c7", text: "Yes, the 14-inch one." })]);
    expect($("invitation-message").hidden).toBe(true); // the conversation's own messages now
    expect(close).not.toHaveBeenCalled();
  });

  it("opened on an invitation and minimised without a word: declines it", async () => {
    const server = gateway();
    const close = vi.fn();
    start(server, { text: "Need a hand?", operator: null, accept: vi.fn(async () => null), close });
    await settle();
    $("minimise").click();
    expect(close).toHaveBeenCalledTimes(1);
    page.handle!.open();
    expect($("invitation-message").hidden).toBe(true);
  });
});
