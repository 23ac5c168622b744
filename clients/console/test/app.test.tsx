import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { App } from "../src/ui/App";
import { conversation, errorFrame, FakeSocket, json, message, routedFetch, tokens, visitor } from "./fakes";

const q = (selector: string) => document.querySelector(selector);
const all = (selector: string) => [...document.querySelectorAll(selector)];

beforeEach(() => {
  FakeSocket.instances = [];
  document.title = "Floorwalker";
});
afterEach(cleanup);

describe("operator console", () => {
  it("turns the operator online when they log in, and still opens when that call fails", async () => {
    for (const answer of [200, 503]) {
      const { fetch, calls } = routedFetch((r) => {
        if (r.path === "/api/v1/auth/login") return json(tokens("acc-1"));
        if (r.path === "/api/v1/me/presence" && r.method === "PUT")
          return answer === 200 ? json({ user_id: "u1", status: "online" }) : json({ error: {} }, 503);
        return undefined;
      });
      const api = new ApiClient({ fetch, store: storageSessionStore(null) });
      const user = userEvent.setup();
      render(<App api={api} controllerOptions={{ socket: { createSocket: (url) => new FakeSocket(url) } }} />);
      await user.type(q('[data-fw="login-email"]') as HTMLElement, "olga@demo.example");
      await user.type(q('[data-fw="login-password"]') as HTMLElement, "floorwalker");
      await user.click(q('[data-fw="login-submit"]') as HTMLElement);
      await waitFor(() => expect(q('[data-fw="login-email"]')).toBeNull());
      const put = calls.find((c) => c.method === "PUT" && c.path === "/api/v1/me/presence");
      expect(put?.body).toEqual({ status: "online" });
      expect(put?.auth).toBe("Bearer acc-1");
      cleanup();
    }
  });

  it("shows which waiting chat routing offers to this operator, and beeps for theirs only", async () => {
    const { fetch } = routedFetch((r) => {
      if (r.path === "/api/v1/auth/login") return json(tokens("acc-1"));
      if (r.path === "/api/v1/conversations?state=waiting" || r.path === "/api/v1/conversations?state=active")
        return json({ conversations: [] });
      if (r.path === "/api/v1/visitors/live") return json({ visitors: [] });
      return undefined;
    });
    const api = new ApiClient({ fetch, store: storageSessionStore(null) });
    const notifier = { beep: vi.fn(), title: vi.fn() };
    const user = userEvent.setup();
    render(<App api={api} controllerOptions={{ notifier, socket: { createSocket: (url) => new FakeSocket(url) } }} />);
    await user.type(q('[data-fw="login-email"]') as HTMLElement, "olga@demo.example");
    await user.type(q('[data-fw="login-password"]') as HTMLElement, "floorwalker");
    await user.click(q('[data-fw="login-submit"]') as HTMLElement);
    await waitFor(() => expect(FakeSocket.latest()).toBeTruthy());
    act(() => FakeSocket.latest().open());
    const expires = new Date(Date.now() + 30_000).toISOString();
    const offer = (id: string, to: string) => ({
      type: "conversation.offered",
      user_id: to,
      expires_at: expires,
      conversation: conversation({ id, offered_user_id: to, offer_expires_at: expires }),
    });
    act(() => FakeSocket.latest().receive(offer("c-mine", "u1")));
    act(() => FakeSocket.latest().receive(offer("c-theirs", "u2")));
    await waitFor(() => expect(all('[data-fw="waiting-list"] [data-fw="conversation-item"]')).toHaveLength(2));
    const note = (id: string) =>
      q(`[data-fw="conversation-item"][data-conversation-id="${id}"] [data-fw="offer"]`)?.textContent;
    expect(note("c-mine")).toContain("offered to you");
    expect(note("c-theirs")).toContain("offered to a colleague");
    expect(notifier.beep).toHaveBeenCalledTimes(1);
  });

  it("logs in, shows the waiting conversation, accepts it and replies over the socket", async () => {
    const waiting = conversation({ id: "c1", created_at: new Date(Date.now() - 95_000).toISOString(), last_seq: 1 });
    let state: "waiting" | "active" = "waiting";
    const accepted = { ...waiting, state: "active" as const, assigned_user_id: "u1", assigned_user_name: "Olga" };
    const early = message(1, { text: "<b>Is the Laptop Pro in stock?</b>", created_at: "2030-01-01T09:58:00Z" });
    const { fetch, calls } = routedFetch((r) => {
      if (r.path === "/api/v1/auth/login") {
        return r.body && (r.body as { password: string }).password === "floorwalker"
          ? json(tokens("acc-1"))
          : json({ error: { code: "invalid_credentials", message: "Wrong email or password." } }, 401);
      }
      if (r.path === "/api/v1/auth/logout") return new Response(null, { status: 204 });
      if (r.auth !== "Bearer acc-1") return json({ error: { code: "not_authenticated", message: "No." } }, 401);
      if (r.path === "/api/v1/conversations?state=waiting")
        return json({ conversations: state === "waiting" ? [waiting] : [] });
      if (r.path === "/api/v1/conversations?state=active")
        return json({ conversations: state === "active" ? [accepted] : [] });
      if (r.path === "/api/v1/visitors/live") return json({ visitors: [visitor()] });
      if (r.path === "/api/v1/conversations/c1/messages?after_seq=0&limit=200") return json({ messages: [early] });
      if (r.path === "/api/v1/conversations/c1/accept" && r.method === "POST") {
        state = "active";
        return json(accepted);
      }
      return undefined;
    });
    const api = new ApiClient({ fetch, store: storageSessionStore(null) });
    const notifier = {
      beep: vi.fn(),
      title: vi.fn((n: number) => (document.title = n ? `(${n}) Floorwalker` : "Floorwalker")),
    };
    const user = userEvent.setup();
    render(<App api={api} controllerOptions={{ notifier, socket: { createSocket: (url) => new FakeSocket(url) } }} />);

    // A wrong password shows the server's error, then the right one logs in.
    await user.type(q('[data-fw="login-email"]') as HTMLElement, "olga@demo.example");
    await user.type(q('[data-fw="login-password"]') as HTMLElement, "wrong");
    await user.click(q('[data-fw="login-submit"]') as HTMLElement);
    expect((await screen.findByText("Wrong email or password.")).dataset.fw).toBe("login-error");
    await user.clear(q('[data-fw="login-password"]') as HTMLElement);
    await user.type(q('[data-fw="login-password"]') as HTMLElement, "floorwalker");
    await user.click(q('[data-fw="login-submit"]') as HTMLElement);

    await waitFor(() => expect(all('[data-fw="waiting-list"] [data-fw="conversation-item"]')).toHaveLength(1));
    const item = q('[data-fw="waiting-list"] [data-fw="conversation-item"]') as HTMLElement;
    expect(item.dataset.conversationId).toBe("c1");
    expect(item.className).toContain("unanswered");
    expect(item.textContent).toContain("waiting 1:3"); // 95 s and ticking
    await waitFor(() => expect(all('[data-fw="live-visitors"] [data-fw="visitor-row"]')).toHaveLength(1));
    expect(q('[data-fw="visitor-row"]')?.textContent).toContain("Laptop Pro 14");
    expect(document.title).toBe("(1) Floorwalker");
    await waitFor(() => expect(FakeSocket.latest()?.url).toBe("ws://localhost:3000/ws/operator")); // no token in it
    act(() => FakeSocket.latest().open());
    expect(FakeSocket.latest().sent[0]).toEqual({ type: "auth", token: "acc-1" });

    // Open it: the message sent before anyone accepted is there, as text, with its own time.
    await user.click(item);
    const early1 = await waitFor(() => {
      const el = q('[data-fw="message"][data-sender="visitor"]') as HTMLElement;
      expect(el).not.toBeNull();
      return el;
    });
    expect(early1.dataset.seq).toBe("1");
    expect(early1.querySelector("b")).toBeNull();
    expect(early1.textContent).toContain("<b>Is the Laptop Pro in stock?</b>");
    expect(early1.querySelector("time")?.getAttribute("datetime")).toBe("2030-01-01T09:58:00Z");
    expect(q('[data-fw="chat-input"]')).toBeNull();

    await user.click(q('[data-fw="accept"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="chat-input"]')).not.toBeNull());
    expect(q('[data-fw="accept"]')).toBeNull();
    expect(within(q('[data-fw="active-list"]') as HTMLElement).getByText(/Visitor/)).toBeTruthy();
    expect(all('[data-fw="waiting-list"] [data-fw="conversation-item"]')).toHaveLength(0);
    expect(calls.some((c) => c.path === "/api/v1/conversations/c1/accept")).toBe(true);
    expect(document.title).toBe("Floorwalker");

    // Reply: pending until the ack, then the stored message, once.
    await user.type(q('[data-fw="chat-input"]') as HTMLElement, "Yes, three left!{Enter}");
    const [frame] = FakeSocket.latest().framesOf("message.send");
    expect(frame).toMatchObject({ conversation_id: "c1", text: "Yes, three left!" });
    expect(q('[data-fw="message"][data-status="sending"]')?.textContent).toContain("Yes, three left!");
    const stored = message(2, {
      sender_type: "operator",
      sender_name: "Olga",
      text: "Yes, three left!",
      client_msg_id: frame.client_msg_id as string,
    });
    act(() => {
      FakeSocket.latest().receive({ type: "message.created", message: stored });
      FakeSocket.latest().receive({ type: "message.ack", client_msg_id: frame.client_msg_id, message: stored });
    });
    expect(all('[data-fw="message"][data-sender="operator"]').map((el) => (el as HTMLElement).dataset.seq)).toEqual([
      "2",
    ]);

    // A new visitor in the queue: beep and the title counter.
    act(() =>
      FakeSocket.latest().receive({
        type: "conversation.updated",
        conversation: conversation({ id: "c9", visitor_id: "v-000009" }),
      }),
    );
    expect(notifier.beep).toHaveBeenCalled();
    expect(document.title).toBe("(1) Floorwalker");

    // The outbox tells "the server is down, trying again" from "failed, retry?".
    await user.type(q('[data-fw="chat-input"]') as HTMLElement, "later{Enter}");
    await user.type(q('[data-fw="chat-input"]') as HTMLElement, "broken{Enter}");
    const [, later, broken] = FakeSocket.latest().framesOf("message.send");
    act(() => {
      FakeSocket.latest().receive(errorFrame("service_unavailable", later.client_msg_id));
      FakeSocket.latest().receive(errorFrame("internal_error", broken.client_msg_id));
    });
    const outgoing = all('[data-fw="message"][data-status]') as HTMLElement[];
    expect(outgoing.map((el) => [el.dataset.status, el.dataset.error, !!within(el).queryByText("Retry")])).toEqual([
      ["sending", "service_unavailable", false],
      ["failed", "internal_error", true],
    ]);
    expect(outgoing[0].textContent).toContain("trying again");

    // Log out: the server ends the session, back to the login page, socket closed, tokens gone.
    await user.click(q('[data-fw="logout"]') as HTMLElement);
    expect(q('[data-fw="login-email"]')).not.toBeNull();
    expect(FakeSocket.latest().readyState).toBe(3);
    expect(calls.filter((c) => c.path === "/api/v1/auth/logout").map((c) => c.body)).toEqual([
      { refresh_token: "refresh-acc-1" },
    ]);
    expect(api.session).toBeNull();
  });
});
