import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api/client";
import type { TicketDetail, TicketMessage } from "../src/api/tickets";
import { storageSessionStore } from "../src/api/tokens";
import { TicketsScreen } from "../src/ui/tickets/TicketsScreen";
import { json, routedFetch, tokens } from "./fakes";

afterEach(cleanup);

const STAMP = "2030-01-01T10:00:00Z";
const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];

/** A fake of chat's ticket endpoints, as the server keeps them. */
class Server {
  tickets: TicketDetail[] = [
    {
      id: "t1",
      state: "open",
      origin: "offline_form",
      name: "<b>Ann</b>",
      email: "ann@example.com",
      subject: "Where is my order?",
      queue_id: null,
      conversation_id: null,
      created_at: STAMP,
      updated_at: STAMP,
      email_enabled: false,
      messages: [
        {
          id: "m1",
          sender_type: "visitor",
          sender_name: "<b>Ann</b>",
          channel: "web",
          text: "<img src=x onerror=alert(1)> Where is it?",
          created_at: STAMP,
          email_status: null,
        },
      ],
    },
  ];

  route = (r: { method: string; path: string; body: unknown }): Response | undefined => {
    const url = new URL(r.path, "http://x");
    if (r.method === "GET" && url.pathname === "/api/v1/tickets") {
      const state = url.searchParams.get("state");
      return json({ tickets: this.tickets.filter((t) => t.state === state).map(({ messages: _, ...t }) => t) });
    }
    const match = /^\/api\/v1\/tickets\/([^/]+)(?:\/(replies|close))?$/.exec(url.pathname);
    const ticket = match && this.tickets.find((t) => t.id === match[1]);
    if (!ticket) return json({ error: { code: "ticket_not_found", message: "No such ticket." } }, 404);
    if (r.method === "GET" && !match[2]) return json(ticket);
    if (r.method === "POST" && match[2] === "replies") {
      const message: TicketMessage = {
        id: `m${ticket.messages.length + 1}`,
        sender_type: "operator",
        sender_name: "Olga",
        channel: "email",
        text: (r.body as { text: string }).text,
        created_at: STAMP,
        email_status: "queued",
      };
      ticket.messages.push(message);
      ticket.state = "answered";
      return json(message, 201);
    }
    if (r.method === "POST" && match[2] === "close") {
      ticket.state = "closed";
      return json(ticket);
    }
    return undefined;
  };
}

function apiFor(server: Server) {
  const { fetch, calls } = routedFetch(server.route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

describe("tickets screen", () => {
  it("lists by state, opens a ticket as text, replies by email and closes it", async () => {
    const server = new Server();
    const { api, calls } = apiFor(server);
    render(<TicketsScreen api={api} />);
    await waitFor(() => expect(all('[data-fw="ticket"]')).toHaveLength(1));
    await userEvent.click(all('[data-fw="ticket"]')[0]);
    await waitFor(() => expect(q('[data-fw="ticket-detail"]')).not.toBeNull());
    expect(q("img")).toBeNull();
    expect(q("b")).toBeNull();
    expect(all('[data-fw="ticket-message"]')[0].textContent).toContain("<img src=x onerror=alert(1)> Where is it?");
    expect(q('[data-fw="ticket-mail-disabled"]')).not.toBeNull();

    await userEvent.type(q('[data-fw="ticket-reply"]')!, "It ships today.");
    await userEvent.click(q('[data-fw="ticket-send"]')!);
    await waitFor(() => expect(all('[data-fw="ticket-message"]')).toHaveLength(2));
    expect(all('[data-fw="ticket-message"]')[1].textContent).toContain("email queued");
    expect(calls.find((c) => c.path.endsWith("/replies"))?.body).toEqual({ text: "It ships today." });
    await waitFor(() => expect(q('[data-fw="tickets-empty"]')).not.toBeNull()); // no longer open

    await userEvent.click(q('[data-fw="ticket-close"]')!);
    await waitFor(() => expect(q('[data-fw="ticket-close"]')).toBeNull());
    await userEvent.click(q('[data-fw="tickets-closed"]')!);
    await waitFor(() => expect(all('[data-fw="ticket"]')).toHaveLength(1));
  });

  it("shows a readable error when the list cannot be loaded", async () => {
    const { fetch } = routedFetch(() => json({ error: { code: "service_unavailable", message: "The chat service did not answer." } }, 503));
    const store = storageSessionStore(null);
    store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: tokens("acc").user, accounts: [] });
    render(<TicketsScreen api={new ApiClient({ fetch, store })} />);
    await waitFor(() => expect(q('[data-fw="tickets-error"]')?.textContent).toContain("Could not load the tickets"));
  });
});
