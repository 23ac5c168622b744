import { act, cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsoleView } from "../src/ui/ConsoleView";
import type { Role } from "../src/types";
import { conversation, FakeSocket, visitor } from "./fakes";
import { activeChat, notifier, presence, queue, TeamServer } from "./teamFake";

beforeEach(() => {
  FakeSocket.instances = [];
});
afterEach(cleanup);

const q = (selector: string, root: ParentNode = document) => root.querySelector(selector) as HTMLElement;
const all = (selector: string, root: ParentNode = document) => [...root.querySelectorAll<HTMLElement>(selector)];

async function open(role: Role, prepare: (server: TeamServer) => void = () => {}) {
  const server = new TeamServer(role);
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
  return { server, beeps, user: userEvent.setup(), frame: (f: unknown) => act(() => FakeSocket.latest().receive(f)) };
}

/** After the presences' own time (2030-01-01T09:00Z): a newer change. */
const LATER = "2030-01-01T11:00:00Z";
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

function crowd(server: TeamServer) {
  server.queues = [queue("q1", "Sales", { members: [{ user_id: "u2", priority: 0 }] }), queue("q2", "Support")];
  server.operators = [
    presence("u1", "Olga"),
    presence("u2", "Ben", { active_chats: 3 }),
    presence("u3", "Cleo", { status: "break" }),
  ];
  server.conversations = [
    conversation({ id: "w-new", queue_id: "q1", created_at: minutesAgo(0.2) }),
    conversation({ id: "w-old", queue_id: "q1", created_at: minutesAgo(5), visitor_id: "v-old" }),
    conversation({ id: "w-mid", queue_id: "q2", created_at: minutesAgo(2) }),
    conversation({ id: "w-gone", queue_id: "q2", created_at: minutesAgo(9), visitor_left_at: minutesAgo(1) }),
    activeChat({ id: "a-ben", assigned_user_id: "u2", assigned_user_name: "Ben", participants: [] }),
  ];
}

describe("roles", { timeout: 20_000 }, () => {
  it("shows the board and departments to supervisors, not to operators", async () => {
    await open("operator");
    await waitFor(() => expect(q('[data-fw="tab-live"]')).toBeTruthy());
    expect(q('[data-fw="tab-board"]')).toBeNull();
    expect(q('[data-fw="tab-departments"]')).toBeNull();
    cleanup();
    await open("supervisor");
    await waitFor(() => expect(q('[data-fw="tab-board"]')).toBeTruthy());
    expect(q('[data-fw="tab-departments"]')).toBeTruthy();
  });
});

describe("waiting chats and queues (CHAT-9)", { timeout: 20_000 }, () => {
  it("colours unanswered chats by their wait, puts the visitor-left one last and grey, and lists the queues", async () => {
    const { frame } = await open("operator", (server) => {
      crowd(server);
      server.summary = [
        { queue_id: "q1", name: "Sales", open_now: true, waiting: 2, longest_wait_seconds: 300, online_operators: 1, free_slots: 0 },
        { queue_id: "q2", name: "Support", open_now: false, waiting: 0, longest_wait_seconds: 0, online_operators: 0, free_slots: 0 },
      ];
    });
    const items = () => all('[data-fw="waiting-list"] [data-fw="conversation-item"]');
    await waitFor(() => expect(items()).toHaveLength(4));
    expect(items().map((i) => [i.dataset.conversationId, i.dataset.wait])).toEqual([
      ["w-old", "red"],
      ["w-mid", "amber"],
      ["w-new", "fresh"],
      ["w-gone", "left"],
    ]);
    expect(q('[data-fw="visitor-left"]', items()[3]).textContent).toContain("visitor left");
    await waitFor(() => expect(q('[data-fw="waiting-queue"]', items()[0])?.textContent).toBe(" · Sales"));

    await waitFor(() => expect(all('[data-fw="queue-row"]')).toHaveLength(2));
    const [sales, support] = all('[data-fw="queue-row"]');
    expect(sales.dataset.wait).toBe("red");
    expect(q('[data-fw="queue-waiting"]', sales).textContent).toMatch(/2 waiting · longest 5:\d\d/);
    expect(q('[data-fw="queue-closed"]', support)).toBeTruthy();
    expect(q('[data-fw="queue-waiting"]', support).textContent).toBe("nobody waiting");

    // a queue.summary frame replaces it
    frame({
      type: "queue.summary",
      queues: [{ queue_id: "q1", name: "Sales", open_now: true, waiting: 0, longest_wait_seconds: 0, online_operators: 2, free_slots: 4 }],
    });
    await waitFor(() => expect(all('[data-fw="queue-row"]')).toHaveLength(1));
    expect(q('[data-fw="queue-staff"]').textContent).toBe("2 online · 4 free");
  });

  it("hides the queue list without an error when the server has no summary", async () => {
    const { server } = await open("operator", crowd);
    await waitFor(() => expect(server.calls.some((c) => c.path === "/api/v1/queues/summary")).toBe(true));
    await waitFor(() => expect(all('[data-fw="conversation-item"]').length).toBeGreaterThan(0));
    expect(q('[data-fw="queue-list"]')).toBeNull();
    expect(q('[data-fw="notice"]')).toBeNull();
  });
});

describe("supervisor board (OPS-7)", { timeout: 20_000 }, () => {
  it("shows queues, operators' states and loads, every live chat, and follows presence frames", async () => {
    const { user, frame } = await open("supervisor", crowd);
    await user.click(q('[data-fw="tab-board"]'));
    await waitFor(() => expect(all('[data-fw="board-operator"]')).toHaveLength(3));
    // no summary endpoint: counted from the chats the console holds
    const queues = all('[data-fw="board-queues"] [data-fw="queue-row"]');
    expect(queues.map((r) => q('[data-fw="queue-waiting"]', r).textContent)).toEqual([
      expect.stringMatching(/^2 waiting · longest 5:\d\d$/),
      expect.stringMatching(/^2 waiting · longest 9:\d\d$/),
    ]);
    expect(all('[data-fw="board-operator"]').map((r) => [r.querySelector("td")?.textContent, r.dataset.status])).toEqual([
      ["Ben", "online"],
      ["Olga", "online"],
      ["Cleo", "break"],
    ]);
    const ben = q('[data-fw="board-operator"][data-user-id="u2"]');
    expect(q('[data-fw="board-load"]', ben).textContent).toBe("3 / 3");
    expect(q('[data-fw="board-load"]', ben).className).toContain("full");
    await waitFor(() => expect(all('[data-fw="board-chat"]')).toHaveLength(5));
    expect(all('[data-fw="board-chat"]').map((r) => r.dataset.conversationId)).toEqual([
      "w-old",
      "w-mid",
      "w-new",
      "w-gone",
      "a-ben",
    ]);
    expect(q('[data-fw="board-chat"][data-conversation-id="a-ben"]').textContent).toContain("with Ben");

    frame({ type: "presence.updated", presence: presence("u3", "Cleo", { status: "online", status_changed_at: LATER }) });
    await waitFor(() => expect(q('[data-fw="board-operator"][data-user-id="u3"]').dataset.status).toBe("online"));
    // the supervisor's own status changed elsewhere: the header's switcher follows
    await waitFor(() => expect((q('[data-fw="presence-select"]') as HTMLSelectElement).value).toBe("online"));
    frame({ type: "presence.updated", presence: presence("u1", "Olga", { status: "phone", status_changed_at: LATER }) });
    await waitFor(() => expect((q('[data-fw="presence-select"]') as HTMLSelectElement).value).toBe("phone"));
  });

  it("sets an operator's status and capacity from the board", async () => {
    const { server, user } = await open("supervisor", crowd);
    server.answers["PUT /api/v1/operators/u3/presence"] = (body) =>
      new Response(JSON.stringify(presence("u3", "Cleo", { ...(body as object), status_changed_at: LATER })));
    server.answers["PUT /api/v1/operators/u2/capacity"] = (body) =>
      new Response(JSON.stringify(presence("u2", "Ben", { active_chats: 3, max_chats: 5, max_chats_override: (body as { max_chats: number }).max_chats })));
    await user.click(q('[data-fw="tab-board"]'));
    await waitFor(() => expect(all('[data-fw="board-operator"]')).toHaveLength(3));
    await user.selectOptions(q('[data-fw="board-status"]', q('[data-user-id="u3"]')), "online");
    await waitFor(() => expect(q('[data-fw="board-operator"][data-user-id="u3"]').dataset.status).toBe("online"));
    const capacity = q('[data-fw="board-capacity"]', q('[data-fw="board-operator"][data-user-id="u2"]'));
    await user.type(capacity, "5{Enter}");
    await waitFor(() => expect(q('[data-fw="board-load"]', q('[data-fw="board-operator"][data-user-id="u2"]')).textContent).toBe("3 / 5"));
    expect(server.posted("/api/v1/operators/u2/capacity")).toEqual([{ max_chats: 5 }]);
    expect(server.posted("/api/v1/operators/u3/presence")).toEqual([{ status: "online" }]);

    server.answers["PUT /api/v1/presence/settings"] = (body) => {
      server.defaultMaxChats = (body as { default_max_chats: number }).default_max_chats;
      return new Response(JSON.stringify(body)); // the number alone, as the chat service answers
    };
    expect(q('[data-fw="board-default-value"]').textContent).toBe("3");
    await user.type(q('[data-fw="board-default-input"]'), "0");
    await user.click(q('[data-fw="board-default-save"]'));
    expect(q('[data-fw="board-default-capacity"]').textContent).toContain("A whole number from 1 to 100.");
    await user.clear(q('[data-fw="board-default-input"]'));
    await user.type(q('[data-fw="board-default-input"]'), "4");
    await user.click(q('[data-fw="board-default-save"]'));
    await waitFor(() => expect(q('[data-fw="board-default-value"]').textContent).toBe("4"));
    expect(server.posted("/api/v1/presence/settings")).toEqual([{ default_max_chats: 4 }]);
  });

  it("watches a chat: it opens in the chat view, marked, and the supervisor can stop watching", async () => {
    const { server, user } = await open("supervisor", crowd);
    server.answers["DELETE /api/v1/conversations/a-ben/watch"] = () =>
      new Response(JSON.stringify(activeChat({ id: "a-ben", assigned_user_id: "u2", assigned_user_name: "Ben", participants: [] })));
    await user.click(q('[data-fw="tab-board"]'));
    await waitFor(() => expect(q('[data-fw="board-chat"][data-conversation-id="a-ben"]')).toBeTruthy());
    await user.click(q('[data-fw="board-watch"]', q('[data-fw="board-chat"][data-conversation-id="a-ben"]')));
    await waitFor(() => expect(q('[data-fw="chat"]').dataset.conversationId).toBe("a-ben"));
    expect(server.posted("/api/v1/conversations/a-ben/watch")).toHaveLength(1);
    expect(q('.columns').hidden).toBe(false);
    expect(q('[data-fw="chat-team"]').textContent).toContain("you are watching");
    await user.click(q('[data-fw="chat-unwatch"]'));
    await waitFor(() => expect(q('[data-fw="chat-unwatch"]')).toBeNull());

    // a join that the server refuses says why on the board
    server.answers["POST /api/v1/conversations/w-old/join"] = new Response(
      JSON.stringify({ error: { code: "insufficient_role", message: "No." } }),
      { status: 403 },
    );
    await user.click(q('[data-fw="tab-board"]'));
    await user.click(q('[data-fw="board-join"]', q('[data-fw="board-chat"][data-conversation-id="w-old"]')));
    await waitFor(() => expect(q('[data-fw="board-chat-error"]').textContent).toBe("Only a supervisor or an admin may do this."));
  });
});

describe("highlighted visitors (a rule's notify action)", { timeout: 20_000 }, () => {
  it("marks the visitor in the live list with the rule's name and beeps when the rule asks for sound", async () => {
    const { frame, beeps } = await open("operator", (server) => {
      server.visitors = [visitor({ visitor_id: "v-ann" }), visitor({ visitor_id: "v-bob" })];
    });
    await waitFor(() => expect(all('[data-fw="visitor-row"]')).toHaveLength(2));
    const highlight = {
      type: "visitor.highlight",
      visitor_id: "v-bob",
      site_id: "s1",
      rule_id: "r1",
      rule_name: "Big basket",
      highlight: true,
      sound: true,
      current_url: "https://shop.example/cart",
      at: new Date().toISOString(),
      duration_s: 600,
    };
    frame(highlight);
    await waitFor(() => expect(q('[data-visitor-id="v-bob"]').dataset.highlight).toBe("true"));
    expect(q('[data-visitor-id="v-bob"]').title).toContain("Big basket");
    expect(q('[data-visitor-id="v-ann"]').dataset.highlight).toBeUndefined();
    expect(beeps.beep).toHaveBeenCalledTimes(1);
    frame({ ...highlight, visitor_id: "v-ann", sound: false, highlight: false });
    expect(beeps.beep).toHaveBeenCalledTimes(1);
    expect(q('[data-visitor-id="v-ann"]').dataset.highlight).toBeUndefined();
  });
});
