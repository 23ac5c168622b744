import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { ConsoleController } from "../src/app/controller";
import { initialState, reducer } from "../src/state/store";
import type { Conversation, InvitationNote } from "../src/types";
import { LiveVisitors } from "../src/ui/visitors/LiveVisitors";
import { conversation, FakeSocket, json, routedFetch, tokens, visitor, visitorDetail } from "./fakes";

const NOW = Date.parse("2030-01-01T10:00:00Z");
const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const bob = visitor({ visitor_id: "v-bob", current_title: "Laptop Pro 14" });

afterEach(cleanup);

function apiWith(route: Parameters<typeof routedFetch>[0]) {
  const { fetch, calls } = routedFetch(route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

const detailRoute = (r: { path: string }) => (r.path === "/api/v1/visitors/v-bob" ? json(visitorDetail(bob)) : undefined);

function note(state: InvitationNote["state"]): InvitationNote {
  return { invitation_id: "i1", visitor_id: "v-bob", rule_id: null, variant: null, operator_id: "u1", state, conversation_id: null };
}

describe("calling a visitor from the live list (ENG-2)", () => {
  it("invites with the operator's message, or opens the chat, and shows where the invitation is", async () => {
    const user = userEvent.setup();
    const { api } = apiWith(detailRoute);
    const onCall = vi.fn(async () => true);
    const props = { api, chats: {}, geo: null, now: NOW, onOpenChat: vi.fn(), onCall, visitors: [bob] };
    const view = render(<LiveVisitors {...props} />);
    await user.click(q('[data-visitor-id="v-bob"]')!);
    await user.type(q('[data-fw="call-text"]')!, "Can I help with the laptops?");
    await user.click(q('[data-fw="invite-visitor"]')!);
    expect(onCall).toHaveBeenCalledWith("v-bob", "Can I help with the laptops?", false);
    await waitFor(() => expect((q('[data-fw="call-text"]') as HTMLTextAreaElement).value).toBe(""));
    await user.click(q('[data-fw="open-visitor-chat"]')!);
    expect(onCall).toHaveBeenLastCalledWith("v-bob", "", true);

    view.rerender(<LiveVisitors {...props} invitations={{ "v-bob": note("shown") }} />);
    expect(q('[data-fw="invitation-state"]')?.textContent).toBe("The visitor sees your invitation.");
    view.rerender(<LiveVisitors {...props} invitations={{ "v-bob": note("expired") }} />);
    expect(q('[data-fw="invitation-state"]')?.dataset.state).toBe("expired");
  });

  it("offers no call to a visitor who is chatting already", async () => {
    const user = userEvent.setup();
    const { api } = apiWith(detailRoute);
    const chats: Record<string, Conversation> = { "v-bob": conversation({ id: "c7", visitor_id: "v-bob" }) };
    render(<LiveVisitors api={api} chats={chats} geo={null} now={NOW} onOpenChat={vi.fn()} onCall={vi.fn()} visitors={[bob]} />);
    await user.click(q('[data-visitor-id="v-bob"]')!);
    expect(q('[data-fw="call-visitor"]')).toBeNull();
    expect(q('[data-fw="panel-chat"]')).not.toBeNull();
  });
});

describe("the controller's call", () => {
  beforeEach(() => {
    FakeSocket.instances = [];
  });

  it("posts the invitation, follows its state from the socket, and opens the chat the visitor accepted", async () => {
    const accepted = conversation({ id: "c9", visitor_id: "v-bob", state: "active", assigned_user_id: "u1" });
    const { api, calls } = apiWith((r) => {
      if (r.path === "/api/v1/visitors/v-bob/invitations") return json({ invitation_id: "i1", visitor_id: "v-bob" }, 201);
      if (r.path === "/api/v1/conversations/c9") return json(accepted);
      if (r.path.startsWith("/api/v1/conversations/c9/messages")) return json({ messages: [] });
      if (r.path.startsWith("/api/v1/conversations?state=")) return json({ conversations: [] });
      if (r.path === "/api/v1/visitors/live") return json({ visitors: [bob] });
      return undefined;
    });
    const controller = new ConsoleController({
      api,
      notifier: { beep: vi.fn(), title: vi.fn() },
      socket: { createSocket: (url) => new FakeSocket(url), random: () => 0.5 },
    });
    controller.start();
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    FakeSocket.latest().open();
    expect(await controller.invite("v-bob", "  Hello!  ", false)).toBe(true);
    const post = calls.find((c) => c.path === "/api/v1/visitors/v-bob/invitations")!;
    expect([post.method, post.body]).toEqual(["POST", { text: "Hello!", auto_open: false }]);
    expect(controller.store.getState().invitations["v-bob"].state).toBe("offered");

    FakeSocket.latest().receive({ type: "invitation.state", ...note("shown") });
    expect(controller.store.getState().invitations["v-bob"].state).toBe("shown");
    FakeSocket.latest().receive({ type: "invitation.state", ...note("accepted"), conversation_id: "c9" });
    await waitFor(() => expect(controller.store.getState().selectedId).toBe("c9"));
    controller.stop();
  });

  it("says why when the call is refused", async () => {
    const { api } = apiWith((r) =>
      r.path.endsWith("/invitations")
        ? json({ error: { code: "visitor_not_found", message: "No such visitor." } }, 404)
        : undefined,
    );
    const controller = new ConsoleController({ api, notifier: { beep: vi.fn(), title: vi.fn() } });
    expect(await controller.invite("v-gone", "", true)).toBe(false);
    expect(controller.store.getState().notice).toContain("No such visitor.");
  });
});

describe("what the console knows of an invitation", () => {
  it("keeps its furthest step whatever order the news come in, and a newer invitation's over an older one's", () => {
    let state = reducer(initialState, { type: "invitation.noted", invitation: note("shown") });
    state = reducer(state, { type: "invitation.noted", invitation: note("offered") }); // the call's answer, late
    expect(state.invitations["v-bob"].state).toBe("shown");
    state = reducer(state, { type: "invitation.noted", invitation: { ...note("offered"), invitation_id: "i2" } });
    expect(state.invitations["v-bob"]).toMatchObject({ invitation_id: "i2", state: "offered" });
    state = reducer(state, { type: "invitation.noted", invitation: note("expired") }); // the older one's news
    expect(state.invitations["v-bob"].invitation_id).toBe("i2");
  });
});
