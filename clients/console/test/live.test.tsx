import { act, cleanup, render, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import type { Role } from "../src/types";
import { App } from "../src/ui/App";
import { FakeSocket, json, routedFetch, tokens, visitor } from "./fakes";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const rowIds = () =>
  [...document.querySelectorAll<HTMLElement>('[data-fw="live-visitors"] [data-fw="visitor-row"]')].map(
    (r) => r.dataset.visitorId,
  );

beforeEach(() => {
  FakeSocket.instances = [];
});
afterEach(cleanup);

const GEO = { database: "dbip-city-lite", attribution: "IP Geolocation by DB-IP", attribution_url: "https://db-ip.com" };

function start(role: Role = "operator") {
  const { fetch, calls } = routedFetch((r) => {
    if (r.path.startsWith("/api/v1/conversations?state=")) return json({ conversations: [] });
    if (r.path === "/api/v1/visitors/live") return json({ visitors: [visitor({ visitor_id: "v-first" })], geo: GEO });
    if (r.path === "/api/v1/sites") return json({ sites: [{ id: "s1", name: "Demo shop" }] });
    if (r.path === "/api/v1/track/settings/s1")
      return json({ sections: [{ name: "Laptops", pattern: "/laptops/*" }], products: [], searches: [], retention_days: 30 });
    return undefined;
  });
  const store = storageSessionStore(null);
  const t = tokens("acc");
  const user = { ...t.user, role };
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user, accounts: [] });
  const api = new ApiClient({ fetch, store });
  const notifier = { beep: vi.fn(), title: vi.fn() };
  render(<App api={api} controllerOptions={{ notifier, socket: { createSocket: (url) => new FakeSocket(url) } }} />);
  return { calls };
}

describe("live visitors in the console", () => {
  it("adds a row on visitor.updated for a new visitor and removes it on visitor.left", async () => {
    start();
    await waitFor(() => expect(rowIds()).toEqual(["v-first"]));
    expect(q('[data-fw="geo-attribution"]')?.textContent).toContain("IP Geolocation by DB-IP");
    await waitFor(() => expect(FakeSocket.latest()).toBeTruthy());
    const ws = FakeSocket.latest();
    act(() => ws.open());

    const arrived = visitor({
      visitor_id: "v-new",
      last_seen_at: "2030-01-01T10:05:00Z",
      location: { country_code: "BR", country: "Brazil", region: "SP", city: "São Paulo", time_zone: "America/Sao_Paulo" },
    });
    act(() => ws.receive({ type: "visitor.updated", visitor: arrived }));
    expect(rowIds()).toEqual(["v-new", "v-first"]);
    expect(q('[data-visitor-id="v-new"] [data-fw="visitor-location"]')?.textContent).toBe("BR · São Paulo");
    expect(q('[data-fw="country-item"][data-country="BR"]')?.dataset.count).toBe("1");

    act(() => ws.receive({ type: "visitor.updated", visitor: { ...arrived, section: "Phones" } }));
    expect(q('[data-visitor-id="v-new"] [data-fw="visitor-section"]')?.textContent).toBe("Phones");

    act(() => ws.receive({ type: "visitor.left", visitor_id: "v-new" }));
    expect(rowIds()).toEqual(["v-first"]);
    expect(q('[data-fw="country-item"][data-country="BR"]')).toBeNull();
  });

  it("moves a listed visitor to the page the gateway just accepted, until the stored record follows", async () => {
    start();
    await waitFor(() => expect(rowIds()).toEqual(["v-first"]));
    await waitFor(() => expect(FakeSocket.latest()).toBeTruthy());
    const ws = FakeSocket.latest();
    act(() => ws.open());
    const page = () => q('[data-visitor-id="v-first"] .page-title')?.textContent;
    const pages = () => q('[data-visitor-id="v-first"] [data-fw="pages-viewed"]')?.textContent;
    expect([page(), pages()]).toEqual(["Laptop Pro 14", "3"]);
    const move = {
      visitor_id: "v-first",
      site_id: "s1",
      current_url: "https://shop.example/phones/x",
      current_title: "Phone X",
      page_started_at: "2030-01-01T10:01:00Z",
      last_seen_at: "2030-01-01T10:01:00Z",
      pages_added: 2,
    };
    const moves = (...list: (typeof move)[]) => ws.receive({ type: "visitor.moves", moves: list });
    act(() => moves(move));
    expect([page(), pages()]).toEqual(["Phone X", "5"]);
    expect(q('[data-visitor-id="v-first"] [data-fw="visitor-section"]')?.textContent).toBe("Laptops"); // until the record

    // the stored record of an earlier batch does not move them back; the batch's own record replaces the row
    act(() => ws.receive({ type: "visitor.updated", visitor: visitor({ visitor_id: "v-first", pages_viewed: 4 }) }));
    expect([page(), pages()]).toEqual(["Phone X", "5"]);
    const stored = visitor({
      visitor_id: "v-first",
      current_url: move.current_url,
      current_title: "Phone X",
      section: "Phones",
      last_seen_at: move.last_seen_at,
      pages_viewed: 5,
    });
    act(() => ws.receive({ type: "visitor.updated", visitor: stored }));
    expect(q('[data-visitor-id="v-first"] [data-fw="visitor-section"]')?.textContent).toBe("Phones");

    // an older move, another site's, or a visitor not listed (new, or a robot kept off the list): nothing
    act(() =>
      moves(
        { ...move, current_title: "Old", last_seen_at: "2030-01-01T10:00:30Z" },
        { ...move, site_id: "s2", current_title: "Elsewhere", last_seen_at: "2030-01-01T10:02:00Z" },
        { ...move, visitor_id: "v-unknown", last_seen_at: "2030-01-01T10:02:00Z" },
      ),
    );
    expect([page(), rowIds()]).toEqual(["Phone X", ["v-first"]]);
  });

  it("switches to the tracking settings and back, keeping the live view as it was", async () => {
    const user = userEvent.setup();
    const { calls } = start("operator");
    await waitFor(() => expect(rowIds()).toEqual(["v-first"]));
    await user.selectOptions(q('[data-fw="filter-kind"]') as HTMLSelectElement, "returning");

    await user.click(q('[data-fw="tab-settings"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="settings-section-pattern"]')).not.toBeNull());
    expect((q('[data-fw="settings-section-pattern"]') as HTMLInputElement).value).toBe("/laptops/*");
    expect(q('[data-fw="settings-readonly"]')).not.toBeNull();
    expect(calls.map((c) => c.path)).toEqual(expect.arrayContaining(["/api/v1/sites", "/api/v1/track/settings/s1"]));

    await user.click(q('[data-fw="tab-live"]') as HTMLElement);
    expect(q('[data-fw="tracking-settings"]')).toBeNull();
    expect((q('[data-fw="filter-kind"]') as HTMLSelectElement).value).toBe("returning");
  });
});
