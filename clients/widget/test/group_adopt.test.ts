import { describe, expect, it } from "vitest";
import { createChannel } from "../src/loader/channel";
import type { PublicSite } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { FakeSocket, conversation, fakeFetch, message, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { sound: false } };

describe("a group chat an operator starts with the visitor (CHAT-7)", () => {
  const page = useChatPage();

  it("shows in the open widget at once, without a reload", async () => {
    const { root } = page;
    const channel = createChannel({ baseUrl: "https://gw.example", siteKey: "k", token: "tok", factory: FakeSocket.factory });
    channel.start();
    FakeSocket.latest().open();
    const greeting = message(1, { conversation_id: "g1", text: "Hello both of you!", sender_name: "Olga" });
    const server = fakeFetch({
      "GET /api/v1/conversations/current": () => ({ status: 404, body: { error: { code: "no_open_conversation" } } }),
      "GET /api/v1/conversations/g1/messages": () => ({ status: 200, body: { messages: [greeting] } }),
    });
    page.mount(site, server.fetch, { channel });
    await settle();
    expect(root.querySelectorAll('[data-fw="message"]')).toHaveLength(0);

    const socket = FakeSocket.latest();
    const group = { ...conversation({ id: "g1", state: "active", last_seq: 1, assigned_user_name: "Olga" }), kind: "group" };
    socket.receive({ type: "conversation.updated", conversation: { ...group, id: "someone-elses-direct", kind: "direct" } });
    await settle();
    expect(root.querySelector('[data-fw="status"]')!.textContent).toBe(""); // not a group: not adopted
    socket.receive({ type: "conversation.updated", conversation: group });
    await settle();
    const shown = [...root.querySelectorAll('[data-fw="message"] [data-fw="text"]')].map((n) => n.textContent);
    expect(shown).toEqual(["Hello both of you!"]);
    expect(root.querySelector('[data-fw="status"]')!.textContent).toBe("Olga");
    expect(socket.framesOfType("resume")).toContainEqual({ type: "resume", conversation_id: "g1", after_seq: 1 });
  });
});
