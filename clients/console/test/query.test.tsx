/** The REST cache of the console (src/app/queryClient.ts): what is retried, what is shared between screens, and
 * a change that reads the list again. */

import { act, cleanup, render as renderPlain, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient, ApiError, NetworkError } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { keys } from "../src/api/keys";
import { makeQueryClient, shouldRetry } from "../src/app/queryClient";
import { App } from "../src/ui/App";
import { CannedAdmin } from "../src/ui/admin/CannedAdmin";
import { TicketsScreen } from "../src/ui/tickets/TicketsScreen";
import { FakeSocket, json, routedFetch, tokens } from "./fakes";
import { render } from "./render";

afterEach(cleanup);

type Route = Parameters<typeof routedFetch>[0];

function apiWith(route: Route) {
  const { fetch, calls } = routedFetch(route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  const user = { ...t.user, role: "supervisor" as const };
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

const STAMP = "2030-01-01T10:00:00Z";
const canned = (id: string, shortcut: string) => ({
  id,
  account_id: "a1",
  shortcut,
  title: shortcut,
  text: "Hi",
  queue_id: null,
  created_at: STAMP,
  updated_at: STAMP,
});
const CANNED = "/api/v1/canned-responses?all=true";
const rows = () => [...document.querySelectorAll<HTMLElement>('[data-fw="canned-row"]')].map((r) => r.dataset.shortcut);

describe("retries", () => {
  it("never retries a refusal, retries anything else once", () => {
    expect(shouldRetry(0, new ApiError(403, "forbidden", "No."))).toBe(false);
    expect(shouldRetry(0, new ApiError(404, "not_found", "No."))).toBe(false);
    expect(shouldRetry(0, new ApiError(503, "service_unavailable", "Later."))).toBe(true);
    expect(shouldRetry(0, new NetworkError(new Error("offline")))).toBe(true);
    expect(shouldRetry(1, new ApiError(503, "service_unavailable", "Later."))).toBe(false);
  });

  it("shows a 4xx at once, asked one time", async () => {
    const { api, calls } = apiWith((r) =>
      r.path === CANNED ? json({ error: { code: "forbidden", message: "No." } }, 403) : json({ queues: [] }),
    );
    render(<CannedAdmin api={api} />);
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Could not load the canned responses: Only an admin can change this.",
    );
    expect(calls.filter((c) => c.path === CANNED)).toHaveLength(1);
  });

  it("asks again once after a server error, and shows the list the second answer has", async () => {
    let asked = 0;
    const { api, calls } = apiWith((r) => {
      if (r.path !== CANNED) return json({ queues: [] });
      asked += 1;
      return asked === 1
        ? json({ error: { code: "service_unavailable", message: "Later." } }, 503)
        : json({ canned_responses: [canned("k1", "greeting")] });
    });
    render(<CannedAdmin api={api} />);
    await waitFor(() => expect(rows()).toEqual(["greeting"]));
    expect(calls.filter((c) => c.path === CANNED)).toHaveLength(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

describe("the cache", () => {
  it("shows a list read before at once when the screen comes back, and reads it anew", async () => {
    const { api, calls } = apiWith((r) =>
      r.path === CANNED ? json({ canned_responses: [canned("k1", "greeting")] }) : json({ queues: [] }),
    );
    const view = render(<CannedAdmin api={api} />);
    await waitFor(() => expect(rows()).toEqual(["greeting"]));
    view.rerender(<p>elsewhere</p>);
    view.rerender(<CannedAdmin api={api} />);
    expect(rows()).toEqual(["greeting"]);
    expect(screen.queryByText("Loading…")).toBeNull();
    await waitFor(() => expect(calls.filter((c) => c.path === CANNED)).toHaveLength(2));
  });

  it("reads the list again after a change: a ticket closed leaves the open list", async () => {
    const ticket = { id: "t1", subject: "Refund", name: "Ana", email: "ana@x.example", updated_at: STAMP };
    let state = "open";
    const { api } = apiWith((r) => {
      if (r.path.startsWith("/api/v1/tickets?state="))
        return json({ tickets: r.path.endsWith(state) ? [{ ...ticket, state }] : [] });
      if (r.path === "/api/v1/tickets/t1/close") {
        state = "closed";
        return json({ ...ticket, state });
      }
      if (r.path === "/api/v1/tickets/t1") return json({ ...ticket, state, email_enabled: true, messages: [] });
      return undefined;
    });
    const user = userEvent.setup({ delay: null });
    render(<TicketsScreen api={api} />);
    await user.click(await screen.findByText("Refund"));
    await user.click(await screen.findByText("Close ticket"));
    const empty = () => document.querySelector('[data-fw="tickets-empty"]')?.textContent;
    await waitFor(() => expect(empty()).toBe("No open tickets."));
  });
});

describe("a logout", () => {
  it("forgets what was read for the operator who leaves", async () => {
    const { fetch } = routedFetch(() => json({}));
    const store = storageSessionStore(null);
    const { user } = tokens("acc");
    store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user, accounts: [] });
    const api = new ApiClient({ fetch, store });
    const client = makeQueryClient();
    client.setQueryData(keys.canned, [canned("k1", "greeting")]);
    const socket = { createSocket: (url: string) => new FakeSocket(url) };
    renderPlain(<App api={api} queryClient={client} controllerOptions={{ socket }} />);
    await act(() => api.logout());
    expect(document.querySelector('[data-fw="login-email"]')).toBeTruthy();
    expect(client.getQueryData(keys.canned)).toBeUndefined();
  });
});
