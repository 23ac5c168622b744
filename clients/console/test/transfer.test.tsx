import { act, cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Conversation } from "../src/types";
import { ConsoleView } from "../src/ui/ConsoleView";
import { FakeSocket, json, message } from "./fakes";
import { activeChat, notifier, presence, queue, TeamServer } from "./teamFake";

beforeEach(() => {
  FakeSocket.instances = [];
});
afterEach(cleanup);

const q = (selector: string, root: ParentNode = document) => root.querySelector(selector) as HTMLElement;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const mine = () => all('[data-fw="active-list"] [data-fw="conversation-item"]').map((i) => i.dataset.conversationId);
const waitingIds = () => all('[data-fw="waiting-list"] [data-fw="conversation-item"]').map((i) => i.dataset.conversationId);

async function open(prepare: (server: TeamServer) => void = () => {}) {
  const server = new TeamServer("operator");
  server.queues = [queue("q1", "Sales"), queue("q2", "Billing", { open_now: false })];
  prepare(server);
  const beeps = notifier();
  render(
    <ConsoleView
      api={server.api()}
      controllerOptions={{ notifier: beeps, socket: { createSocket: (url) => new FakeSocket(url) } }}
      onLogout={() => {}}
    />,
  );
  await waitFor(() => expect(FakeSocket.latest()).toBeTruthy());
  act(() => FakeSocket.latest().open());
  const frame = (f: unknown) => act(() => FakeSocket.latest().receive(f));
  // an operator may not list the team: colleagues are known from their presence frames
  frame({ type: "presence.updated", presence: presence("u2", "Ben", { active_chats: 1 }) });
  frame({ type: "presence.updated", presence: presence("u3", "Cleo", { status: "away" }) });
  return { server, beeps, frame, user: userEvent.setup() };
}

async function openChat(user: ReturnType<typeof userEvent.setup>, id: string) {
  await waitFor(() => expect(q(`[data-fw="conversation-item"][data-conversation-id="${id}"]`)).toBeTruthy());
  await user.click(q(`[data-fw="conversation-item"][data-conversation-id="${id}"]`));
  await waitFor(() => expect(q('[data-fw="chat"]').dataset.conversationId).toBe(id));
}

const transferred = (overrides: Partial<Conversation>) => json(activeChat({ last_seq: 3, ...overrides }));

describe("transfer and invite from the chat view (CHAT-6)", { timeout: 20_000 }, () => {
  it("transfers the chat to a colleague with a note: it leaves my list", async () => {
    const { server, user } = await open((s) => {
      s.conversations = [activeChat()];
      s.answers["POST /api/v1/conversations/c1/transfer"] = transferred({
        assigned_user_id: "u2",
        assigned_user_name: "Ben",
        participants: [{ user_id: "u2", name: "Ben", role: "assigned" }],
      });
    });
    await openChat(user, "c1");
    await user.click(q('[data-fw="chat-transfer"]'));
    const options = [...q('[data-fw="team-target"]').querySelectorAll("option")].map((o) => o.value);
    expect(options).toEqual(["", "o:u2", "o:u3", "q:q1", "q:q2"]);
    expect(q('[data-fw="team-target"]').textContent).toContain("Billing (closed)");
    await user.selectOptions(q('[data-fw="team-target"]'), "o:u2");
    await user.click(q('[data-fw="team-note"]'));
    await user.paste("Wants a discount on 3 laptops");
    await user.click(q('[data-fw="team-submit"]'));
    await waitFor(() => expect(mine()).toEqual([]));
    expect(server.posted("/api/v1/conversations/c1/transfer")).toEqual([
      { to_operator_id: "u2", note: "Wants a discount on 3 laptops" },
    ]);
    expect(q('[data-fw="chat"]').dataset.conversationId).toBeUndefined();
  });

  it("lists the colleagues the server knows, with their load and queues, before any presence frame", async () => {
    const { user } = await open((s) => {
      s.conversations = [activeChat()];
      s.operators = [
        presence("u1", "Olga"),
        presence("u4", "Dana", { active_chats: 2, max_chats: 4 }),
        presence("u5", "Emil", { status: "offline" }),
      ];
      s.queues = [queue("q1", "Sales", { members: [{ user_id: "u4", priority: 0 }] }), queue("q2", "Billing")];
    });
    await openChat(user, "c1");
    await user.click(q('[data-fw="chat-transfer"]'));
    await waitFor(() => expect(q('[data-fw="team-target"]').textContent).toContain("Dana"));
    const target = q('[data-fw="team-target"]');
    const options = [...target.querySelectorAll("option")].map((o) => o.value);
    expect(options).toEqual(["", "o:u2", "o:u4", "o:u3", "o:u5", "q:q1", "q:q2"]); // online first, me left out
    expect(target.textContent).toContain("Dana — online, 2/4 chats · Sales");
  });

  it("says readably why a colleague cannot take it, and keeps the chat", async () => {
    const { user, server } = await open((s) => {
      s.conversations = [activeChat()];
    });
    await openChat(user, "c1");
    await user.click(q('[data-fw="chat-transfer"]'));
    const refusals: Array<[string, number, string]> = [
      ["operator_unavailable", 409, "That operator is not online: pick someone who is, or a queue."],
      ["at_capacity", 409, "That operator has no room for another chat right now."],
      ["operator_not_found", 404, "That operator is not in this account any more."],
    ];
    await user.selectOptions(q('[data-fw="team-target"]'), "o:u3");
    for (const [code, status, text] of refusals) {
      server.answers["POST /api/v1/conversations/c1/transfer"] = json({ error: { code, message: code } }, status);
      await user.click(q('[data-fw="team-submit"]'));
      await waitFor(() => expect(q('[data-fw="team-error"]')?.textContent).toBe(text));
    }
    expect(mine()).toEqual(["c1"]);
    await user.click(q('[data-fw="team-cancel"]'));
    expect(q('[data-fw="transfer-dialog"]')).toBeNull();
  });

  it("sends a chat back to a queue: it waits there again", async () => {
    const { server, user } = await open((s) => {
      s.conversations = [activeChat()];
      s.answers["POST /api/v1/conversations/c1/transfer"] = transferred({
        state: "waiting",
        assigned_user_id: null,
        assigned_user_name: null,
        queue_id: "q1",
        participants: [],
      });
    });
    await openChat(user, "c1");
    await user.click(q('[data-fw="chat-transfer"]'));
    await user.selectOptions(q('[data-fw="team-target"]'), "q:q1");
    await user.click(q('[data-fw="team-submit"]'));
    await waitFor(() => expect(waitingIds()).toEqual(["c1"]));
    expect(mine()).toEqual([]);
    expect(server.posted("/api/v1/conversations/c1/transfer")).toEqual([{ to_queue_id: "q1" }]);
  });

  it("invites a colleague, who then shows in the chat", async () => {
    const { server, user } = await open((s) => {
      s.conversations = [activeChat()];
      s.answers["POST /api/v1/conversations/c1/participants"] = json(
        activeChat({
          participants: [
            { user_id: "u1", name: "Olga", role: "assigned" },
            { user_id: "u2", name: "Ben", role: "invited" },
          ],
        }),
      );
    });
    await openChat(user, "c1");
    await user.click(q('[data-fw="chat-invite"]'));
    expect([...q('[data-fw="team-target"]').querySelectorAll("option")].map((o) => o.value)).toEqual(["", "o:u2", "o:u3"]);
    await user.selectOptions(q('[data-fw="team-target"]'), "o:u2");
    await user.click(q('[data-fw="team-note"]'));
    await user.paste("Can you check the stock?");
    await user.click(q('[data-fw="team-submit"]'));
    await waitFor(() => expect(q('[data-fw="participant"]')?.textContent).toBe("Ben · invited"));
    expect(server.posted("/api/v1/conversations/c1/participants")).toEqual([
      { operator_id: "u2", note: "Can you check the stock?" },
    ]);
  });
});

describe("the receiving operator", { timeout: 20_000 }, () => {
  it("hears a transfer to them and reads the colleague's note in the chat", async () => {
    const { frame, beeps, user } = await open();
    const chat = activeChat({
      id: "c9",
      last_seq: 5,
      participants: [{ user_id: "u1", name: "Olga", role: "assigned" }],
    });
    frame({
      type: "conversation.transferred",
      conversation: chat,
      from_user_id: "u2",
      to_user_id: "u1",
      to_queue_id: null,
      note: "VIP customer, be nice",
    });
    await waitFor(() => expect(mine()).toEqual(["c9"]));
    expect(beeps.beep).toHaveBeenCalledTimes(1);
    await openChat(user, "c9");
    const note = q('[data-fw="handover-note"]');
    expect(note.dataset.kind).toBe("transferred");
    expect(note.textContent).toContain("Ben transferred this chat to you");
    expect(note.textContent).toContain("VIP customer, be nice");
    expect(q('[data-fw="chat-input"]')).toBeTruthy();
  });

  it("sees a chat a colleague sent back to a queue wait there again, with the note", async () => {
    const { frame, user } = await open((s) => {
      s.conversations = [activeChat({ id: "c5", assigned_user_id: "u2", assigned_user_name: "Ben" })];
    });
    frame({ type: "message.created", message: { ...message(3), conversation_id: "c5", sender_type: "system" } });
    const back = activeChat({ id: "c5", state: "waiting", assigned_user_id: null, queue_id: "q1", last_seq: 3 });
    const queued = { ...back, assigned_user_name: null, participants: [] };
    frame({ type: "conversation.updated", conversation: queued });
    await waitFor(() => expect(waitingIds()).toEqual(["c5"]));
    frame({
      type: "conversation.transferred",
      conversation: queued,
      from_user_id: "u2",
      to_user_id: null,
      to_queue_id: "q1",
      note: "Asks about invoices",
    });
    await openChat(user, "c5");
    expect(q('[data-fw="handover-note"]').textContent).toContain("Ben sent this chat back to the queue");
    expect(q('[data-fw="handover-note"]').textContent).toContain("Asks about invoices");
  });

  it("is invited into a colleague's chat: it is in their list, they may write, and leave", async () => {
    const { frame, server, user } = await open();
    const chat = activeChat({
      id: "c7",
      assigned_user_id: "u2",
      assigned_user_name: "Ben",
      participants: [
        { user_id: "u2", name: "Ben", role: "assigned" },
        { user_id: "u1", name: "Olga", role: "invited" },
      ],
    });
    server.conversations = [chat];
    server.answers["DELETE /api/v1/conversations/c7/participants/u1"] = json({
      ...chat,
      participants: [{ user_id: "u2", name: "Ben", role: "assigned" }],
    });
    frame({ type: "conversation.invited", conversation: chat, by_user_id: "u2", note: "Need a hand with returns" });
    await waitFor(() => expect(mine()).toEqual(["c7"]));
    await openChat(user, "c7");
    expect(q('[data-fw="handover-note"]').textContent).toContain("Ben invited you: “Need a hand with returns”");
    expect(q('[data-fw="chat-input"]')).toBeTruthy();
    await user.click(q('[data-fw="chat-leave"]'));
    await waitFor(() => expect(mine()).toEqual([]));
    expect(server.calls.some((c) => c.method === "DELETE" && c.path === "/api/v1/conversations/c7/participants/u1")).toBe(true);
  });
});
