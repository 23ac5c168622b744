import { act, cleanup, screen } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { ConsoleController } from "../src/app/controller";
import { SHOWN_FOR_MS, TYPING_EVERY_MS } from "../src/realtime/typing";
import type { Conversation } from "../src/types";
import { ChatView } from "../src/ui/ChatView";
import { SneakPeekSwitch } from "../src/ui/admin/SneakPeekSwitch";
import { VisitorTyping } from "../src/ui/chat/Typing";
import { conversation, FakeSocket, json, message, routedFetch, tokens } from "./fakes";

const mine = (seq: number) => message(seq, { sender_type: "operator", sender_id: "u1", sender_name: "Olga" });

function setup(chat: Conversation = conversation({ id: "c1", state: "active", assigned_user_id: "u1", last_seq: 3 })) {
  const { fetch, calls } = routedFetch((r) => {
    if (r.path === "/api/v1/conversations?state=waiting") return json({ conversations: [] });
    if (r.path === "/api/v1/conversations?state=active") return json({ conversations: [chat] });
    if (r.path === "/api/v1/visitors/live") return json({ visitors: [] });
    if (r.path === "/api/v1/conversations/c1") return json(chat);
    if (r.path.startsWith("/api/v1/conversations/c1/messages?after_seq=0")) {
      return json({ messages: [message(1), mine(2), mine(3)] });
    }
    if (r.path === "/api/v1/conversations/c1/read-marks") {
      return json({ conversation_id: "c1", marks: [{ reader: "visitor", reader_id: "v-000001", seq: 2 }] });
    }
    return undefined;
  });
  const store = storageSessionStore(null);
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: tokens("acc").user, accounts: [] });
  const api = new ApiClient({ fetch, store });
  const controller = new ConsoleController({
    api,
    notifier: { beep: vi.fn(), title: vi.fn() },
    socket: { createSocket: (url) => new FakeSocket(url), random: () => 0.5, baseDelayMs: 1000 },
  });
  return { controller, calls };
}

async function opened(chat?: Conversation) {
  const { controller, calls } = setup(chat);
  controller.start();
  await vi.advanceTimersByTimeAsync(0);
  const ws = FakeSocket.latest();
  ws.open();
  await controller.select("c1");
  await vi.advanceTimersByTimeAsync(0);
  return { controller, calls, ws };
}

describe("typing and read marks in the console", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.instances = [];
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("shows what the visitor types until they send it, stop, or go quiet", async () => {
    const { controller, ws } = await opened();
    const typing = (extra: Record<string, unknown>) =>
      act(() => ws.receive({ type: "conversation.typing", conversation_id: "c1", from: "visitor", typing: true, ...extra }));
    render(<VisitorTyping signals={controller.signals} conversationId="c1" />);
    expect(screen.queryByText("The visitor is typing…")).toBeNull();

    typing({ draft: "Do you ship to <b>Porto</b>" });
    expect(screen.getByText("The visitor is typing…")).toBeTruthy();
    expect(document.querySelector('[data-fw="sneak-peek"]')?.textContent).toBe("Do you ship to <b>Porto</b>"); // text only
    act(() => ws.receive({ type: "message.created", message: message(4, { text: "Do you ship to Porto?" }) }));
    expect(document.querySelector('[data-fw="visitor-typing"]')).toBeNull(); // their message is here

    typing({}); // the site keeps drafts private: only that they type
    expect(screen.getByText("The visitor is typing…")).toBeTruthy();
    expect(document.querySelector('[data-fw="sneak-peek"]')).toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(SHOWN_FOR_MS));
    expect(document.querySelector('[data-fw="visitor-typing"]')).toBeNull(); // quiet for a while: gone

    typing({ draft: "Hm" });
    act(() => ws.receive({ type: "conversation.typing", conversation_id: "c1", from: "visitor", typing: false }));
    expect(document.querySelector('[data-fw="visitor-typing"]')).toBeNull(); // they emptied the input
    controller.stop();
  });

  it("tells the visitor the operator types, at most every 2 s, and when they stopped", async () => {
    const { controller, ws } = await opened();
    controller.typed("H");
    controller.typed("He");
    expect(ws.framesOf("typing")).toEqual([{ type: "typing", conversation_id: "c1", typing: true }]);
    await vi.advanceTimersByTimeAsync(TYPING_EVERY_MS);
    controller.typed("Hel");
    controller.typed("");
    expect(ws.framesOf("typing").map((f) => f.typing)).toEqual([true, true, false]);
    expect(ws.framesOf("typing").some((f) => "draft" in f)).toBe(false); // operators send no draft
    controller.stop();
  });

  it("a watcher's console says nothing to the visitor", async () => {
    const watched = conversation({
      id: "c1",
      state: "active",
      assigned_user_id: "u2",
      participants: [{ user_id: "u1", name: "Olga", role: "watching" }],
    });
    const { controller, ws } = await opened(watched);
    controller.typed("I would answer that differently");
    expect(ws.framesOf("typing")).toEqual([]);
    expect(ws.framesOf("read")).toEqual([]); // nor marks what it read
    controller.stop();
  });

  it("marks the chat read up to its last message while it is in front, and ticks what the visitor read", async () => {
    const { controller, calls, ws } = await opened();
    expect(ws.framesOf("read")).toEqual([{ type: "read", conversation_id: "c1", seq: 3 }]);
    expect(calls.some((c) => c.path === "/api/v1/conversations/c1/read-marks")).toBe(true);
    expect(controller.signals.visitorReadSeq("c1")).toBe(2); // with the history, over REST

    act(() => ws.receive({ type: "message.created", message: message(4) }));
    expect(ws.framesOf("read").map((f) => f.seq)).toEqual([3, 4]);
    act(() => ws.receive({ type: "conversation.read", conversation_id: "c1", reader: "visitor", reader_id: "v", seq: 3 }));
    act(() => ws.receive({ type: "conversation.read", conversation_id: "c1", reader: "visitor", reader_id: "v", seq: 1 }));
    expect(controller.signals.visitorReadSeq("c1")).toBe(3); // never backwards
    controller.stop();
  });

  it("shows delivered and read ticks on the operator's messages only", () => {
    const chat = conversation({ id: "c1", state: "active", assigned_user_id: "u1" });
    render(
      <ChatView
        conversation={chat}
        messages={[message(1), mine(2), mine(3)]}
        pending={[]}
        visitor={undefined}
        canWrite
        now={0}
        onAccept={() => {}}
        onClose={() => {}}
        onSend={() => true}
        onRetry={() => {}}
        onDiscard={() => {}}
        visitorReadSeq={2}
      />,
    );
    const ticks = [...document.querySelectorAll('[data-fw="read-mark"]')].map((t) => [t.textContent, t.getAttribute("title")]);
    expect(ticks).toEqual([
      ["✓✓", "Read"],
      ["✓", "Delivered"],
    ]);
  });
});

describe("the sneak-peek switch of a site", () => {
  afterEach(cleanup);

  it("saves the switch with the site's other privacy settings as they are", async () => {
    const privacy = { identity_verification: true, consent_required: false, honor_dnt: true, sneak_peek: true };
    const { fetch, calls } = routedFetch((r) => {
      if (r.path === "/api/v1/sites/s1" && r.method === "GET") return json({ id: "s1", privacy });
      if (r.path === "/api/v1/sites/s1" && r.method === "PATCH") {
        return json({ id: "s1", privacy: (r.body as { privacy: typeof privacy }).privacy });
      }
      return undefined;
    });
    const store = storageSessionStore(null);
    store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: tokens("acc").user, accounts: [] });
    render(<SneakPeekSwitch api={new ApiClient({ fetch, store })} siteId="s1" />);
    const box = await screen.findByRole("checkbox", { name: "Show operators what visitors type" });
    expect((box as HTMLInputElement).checked).toBe(true);
    await userEvent.click(box);
    await screen.findByText("Saved: operators see only that a visitor types.");
    expect((box as HTMLInputElement).checked).toBe(false);
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.body).toEqual({ privacy: { ...privacy, sneak_peek: false } });
  });
});
