import { act, cleanup, fireEvent, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import type { Conversation, GeoInfo, Visitor } from "../src/types";
import { LiveVisitors } from "../src/ui/visitors/LiveVisitors";
import { json, page, routedFetch, tokens, visit, visitor, visitorDetail } from "./fakes";

const NOW = Date.parse("2030-01-01T10:00:00Z");
const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const rowIds = () => all('[data-fw="visitor-row"]').map((r) => r.dataset.visitorId);

afterEach(cleanup);

function apiWith(route: Parameters<typeof routedFetch>[0]) {
  const { fetch, calls } = routedFetch(route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

/** Three visitors: a Berlin laptop shopper (3 pages, 5 min), a returning Paris one (8 pages, 20 min), a new one of unknown place. */
const ana = visitor({
  visitor_id: "v-ana",
  pages_viewed: 3,
  visit_started_at: "2030-01-01T09:55:00Z",
  page_started_at: "2030-01-01T09:59:00Z",
  last_seen_at: "2030-01-01T09:59:30Z",
});
const bob = visitor({
  visitor_id: "v-bob",
  visit_id: "visit-now",
  section: "Phones",
  current_title: "Phone X",
  pages_viewed: 8,
  visit_count: 4,
  returning: true,
  visit_started_at: "2030-01-01T09:40:00Z",
  page_started_at: "2030-01-01T09:59:50Z",
  last_seen_at: "2030-01-01T09:59:50Z",
  location: { country_code: "FR", country: "France", region: "Île-de-France", city: "Paris", time_zone: "Europe/Paris" },
  contact: { contact_id: "k1", user_id: "u-42", email: "bob@example.com", name: "Bob Martin", phone: null, verified: true },
  utm: { source: "newsletter", medium: "email", campaign: "spring-sale", term: null, content: null },
  arrived_via: { kind: "campaign", source: "newsletter", keywords: null },
});
const cy = visitor({
  visitor_id: "v-cy",
  section: null,
  current_title: "Home",
  pages_viewed: 1,
  visit_started_at: "2030-01-01T09:59:30Z",
  page_started_at: "2030-01-01T09:59:30Z",
  last_seen_at: "2030-01-01T09:59:40Z",
  location: null,
  device: { browser: "Safari", browser_version: "17", os: "iOS", os_version: "17", device_class: "mobile" },
  arrived_via: { kind: "direct", source: null, keywords: null },
  referrer: null,
});

interface Options {
  visitors?: Visitor[];
  chats?: Record<string, Conversation>;
  geo?: GeoInfo | null;
  route?: Parameters<typeof routedFetch>[0];
}

function show({ visitors = [ana, bob, cy], chats = {}, geo = null, route = () => undefined }: Options = {}) {
  const { api, calls } = apiWith(route);
  const onOpenChat = vi.fn();
  const props = { api, chats, geo, now: NOW, onOpenChat };
  const view = render(<LiveVisitors visitors={visitors} {...props} />);
  const update = (next: Visitor[]) => view.rerender(<LiveVisitors visitors={next} {...props} />);
  return { calls, onOpenChat, update };
}

describe("live visitors table", () => {
  it("shows who, where, which page and section, times, device and how they arrived", () => {
    show();
    const row = q('[data-visitor-id="v-bob"]') as HTMLElement;
    const cell = (fw: string) => row.querySelector(`[data-fw="${fw}"]`)?.textContent;
    expect(cell("visitor-name")).toContain("Bob Martin");
    expect(cell("visitor-kind")).toBe("returning · visit 4");
    expect(cell("visitor-location")).toBe("FR · Paris");
    expect(cell("visitor-section")).toBe("Phones");
    expect(cell("time-on-page")).toBe("0:10");
    expect(cell("time-on-site")).toBe("20:00");
    expect(cell("pages-viewed")).toBe("8");
    expect(cell("visitor-device")).toContain("Chrome 120 / macOS 14");
    expect(cell("visitor-source")).toContain("Campaign · newsletter");
    expect(cell("visitor-campaign")).toContain("spring-sale (newsletter / email)");
    expect(q('[data-visitor-id="v-ana"] [data-fw="visitor-source"]')?.textContent).toBe("Search · google · “laptop pro”");
    expect(q('[data-visitor-id="v-cy"] [data-fw="visitor-location"]')?.textContent).toBe("unknown");
    expect(q('[data-visitor-id="v-cy"] [data-fw="visitor-kind"]')?.textContent).toBe("new");
  });

  it("sorts by the clicked column, flipping the direction on a second click", async () => {
    const user = userEvent.setup();
    show();
    expect(rowIds()).toEqual(["v-bob", "v-cy", "v-ana"]); // last activity, most recent first
    expect(q('[data-fw="column-last-activity"]')?.getAttribute("aria-sort")).toBe("descending");

    await user.click(q('[data-fw="sort-pages"]') as HTMLElement);
    expect(rowIds()).toEqual(["v-bob", "v-ana", "v-cy"]);
    expect(q('[data-fw="column-pages"]')?.getAttribute("aria-sort")).toBe("descending");
    expect(q('[data-fw="column-last-activity"]')?.getAttribute("aria-sort")).toBe("none");
    await user.click(q('[data-fw="sort-pages"]') as HTMLElement);
    expect(rowIds()).toEqual(["v-cy", "v-ana", "v-bob"]);
    expect(q('[data-fw="column-pages"]')?.getAttribute("aria-sort")).toBe("ascending");

    await user.click(q('[data-fw="sort-time-on-site"]') as HTMLElement);
    expect(rowIds()).toEqual(["v-bob", "v-ana", "v-cy"]);
    await user.click(q('[data-fw="sort-time-on-page"]') as HTMLElement);
    expect(rowIds()).toEqual(["v-ana", "v-cy", "v-bob"]);
    await user.click(q('[data-fw="sort-country"]') as HTMLElement); // A to Z, unknown last
    expect(rowIds()).toEqual(["v-ana", "v-bob", "v-cy"]);
    await user.click(q('[data-fw="sort-section"]') as HTMLElement);
    expect(rowIds()).toEqual(["v-ana", "v-bob", "v-cy"]);
    await user.click(q('[data-fw="sort-section"]') as HTMLElement); // Z to A, none still last
    expect(rowIds()).toEqual(["v-bob", "v-ana", "v-cy"]);
  });

  it("narrows the rows with each filter and clears them", async () => {
    const user = userEvent.setup();
    show();
    const select = (fw: string) => q(`[data-fw="${fw}"]`) as HTMLSelectElement;
    expect([...select("filter-section").options].map((o) => o.textContent)).toEqual([
      "All sections",
      "Laptops",
      "Phones",
      "No section",
    ]);

    await user.selectOptions(select("filter-section"), "Phones");
    expect(rowIds()).toEqual(["v-bob"]);
    expect(q('[data-fw="visitor-count"]')?.textContent).toBe("1 of 3");
    await user.selectOptions(select("filter-section"), "No section");
    expect(rowIds()).toEqual(["v-cy"]);
    await user.selectOptions(select("filter-section"), "");

    await user.selectOptions(select("filter-country"), "DE");
    expect(rowIds()).toEqual(["v-ana"]);
    await user.selectOptions(select("filter-country"), "");

    await user.selectOptions(select("filter-kind"), "returning");
    expect(rowIds()).toEqual(["v-bob"]);
    await user.selectOptions(select("filter-kind"), "new");
    expect(rowIds()).toEqual(["v-cy", "v-ana"]);
    await user.selectOptions(select("filter-kind"), "all");

    await user.selectOptions(select("filter-min-time"), "300"); // ana has exactly 5 min, bob 20, cy 30 s
    expect(rowIds()).toEqual(["v-bob", "v-ana"]);
    await user.selectOptions(select("filter-min-time"), "900");
    expect(rowIds()).toEqual(["v-bob"]);

    await user.selectOptions(select("filter-kind"), "new");
    expect(q('[data-fw="visitors-empty"]')?.textContent).toBe("No visitor matches the filters.");
    await user.click(q('[data-fw="filter-clear"]') as HTMLElement);
    expect(rowIds()).toHaveLength(3);
    expect(q('[data-fw="filter-clear"]')).toBeNull();
  });

  it("counts visitors by country and filters by a clicked country", async () => {
    const user = userEvent.setup();
    show({ visitors: [ana, bob, cy, visitor({ visitor_id: "v-dora", last_seen_at: "2030-01-01T09:58:00Z" })] });
    const items = all('[data-fw="country-breakdown"] [data-fw="country-item"]');
    expect(items.map((i) => [i.dataset.country, i.dataset.count])).toEqual([
      ["DE", "2"],
      ["FR", "1"],
      ["?", "1"],
    ]);
    expect(items[0].textContent).toContain("DE Germany");
    expect(items[0].querySelector('[data-fw="country-count"]')?.textContent).toBe("2 · 50%");

    await user.click(items[1]);
    expect(rowIds()).toEqual(["v-bob"]);
    expect((q('[data-fw="filter-country"]') as HTMLSelectElement).value).toBe("FR");
    expect(items[1].getAttribute("aria-pressed")).toBe("true");
    await user.click(items[1]);
    expect(rowIds()).toHaveLength(4);
    await user.click(items[2]);
    expect(rowIds()).toEqual(["v-cy"]);
  });

  it("shows the geolocation attribution with its link", () => {
    show({ geo: { database: "DB-IP City Lite", attribution: "IP Geolocation by DB-IP", attribution_url: "https://db-ip.com" } });
    const note = q('[data-fw="geo-attribution"]') as HTMLElement;
    expect(note.textContent).toContain("IP Geolocation by DB-IP");
    expect(note.querySelector("a")?.getAttribute("href")).toBe("https://db-ip.com");
  });

  it("shows no attribution when the answer has none", () => {
    show({ geo: { database: null, attribution: null, attribution_url: null } });
    expect(q('[data-fw="geo-attribution"]')).toBeNull();
  });

  it("opens the chat from the chat tag without opening the visitor panel", async () => {
    const user = userEvent.setup();
    const chat = { id: "c7", state: "waiting" } as Conversation;
    const { onOpenChat } = show({ chats: { "v-bob": chat } });
    await user.click(q('[data-visitor-id="v-bob"] [data-fw="visitor-chat"]') as HTMLElement);
    expect(onOpenChat).toHaveBeenCalledWith("c7");
    expect(q('[data-fw="visitor-panel"]')).toBeNull();
  });
});

describe("visitor panel", () => {
  const detail = visitorDetail({
    ...bob,
    visit_id: "visit-now",
    attributes: { plan: "pro", cart_value: 129.9 },
    visits: [
      visit({
        visit_id: "visit-now",
        started_at: "2030-01-01T09:40:00Z",
        pages: [
          page(1, { title: "Home", url: "https://shop.example/", viewed_at: "2030-01-01T09:40:00Z", time_spent_seconds: 75 }),
          page(2, {
            title: "Phone X",
            url: "https://shop.example/phones/x",
            section: "Phones",
            viewed_at: "2030-01-01T09:59:50Z",
            time_spent_seconds: null,
          }),
        ],
      }),
      visit({
        visit_id: "visit-old",
        started_at: "2029-12-20T15:00:00Z",
        last_activity_at: "2029-12-20T15:03:00Z",
        landing_url: "https://shop.example/laptops",
        arrived_via: { kind: "search", source: "google", keywords: "cheap laptop" },
        pages: [page(3, { title: "Laptops", url: "https://shop.example/laptops" }), page(4), page(5)],
      }),
    ],
    products: [
      { sku: "px", name: "Phone X", url: null, price: 799, currency: "EUR", category: "Phones", viewed_at: "2030-01-01T09:59:50Z" },
    ],
    searches: [{ query: "phone case", viewed_at: "2030-01-01T09:50:00Z" }],
  });
  const route: Options["route"] = (r) => (r.path === "/api/v1/visitors/v-bob" ? json(detail) : undefined);

  it("fetches the detail: identity, this visit's path, earlier visits, products, searches and attributes", async () => {
    const user = userEvent.setup();
    const chat = { id: "c7", state: "active" } as Conversation;
    const { calls, onOpenChat } = show({ route, chats: { "v-bob": chat } });
    await user.click(q('[data-visitor-id="v-bob"]') as HTMLElement);
    const panel = q('[data-fw="visitor-panel"]') as HTMLElement;
    expect(panel.dataset.visitorId).toBe("v-bob");
    await waitFor(() => expect(all('[data-fw="visit-timeline"] [data-fw="timeline-page"]')).toHaveLength(2));
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/visitors/v-bob"]);

    expect(q('[data-fw="visitor-contact"]')?.textContent).toContain("bob@example.com");
    expect(q('[data-fw="visitor-ip"]')?.textContent).toBe("203.0.113.7");
    expect(q('[data-fw="panel-location"]')?.textContent).toContain("Paris, Île-de-France, France · Europe/Paris");
    const steps = all('[data-fw="visit-timeline"] [data-fw="timeline-page"]');
    expect(steps[0].textContent).toContain("Home");
    expect(steps[0].querySelector('[data-fw="time-spent"]')?.textContent).toBe("1:15");
    expect(steps[1].textContent).toContain("Phones");
    expect(steps[1].querySelector('[data-fw="time-spent"]')?.textContent).toBe("0:10 · now");

    const earlier = all('[data-fw="earlier-visits"] [data-fw="earlier-visit"]');
    expect(earlier.map((e) => e.dataset.visitId)).toEqual(["visit-old"]);
    expect(earlier[0].textContent).toContain("/laptops");
    expect(earlier[0].textContent).toContain("Search · google · “cheap laptop”");
    expect(earlier[0].textContent).toContain("3 pages");
    expect(earlier[0].querySelectorAll('[data-fw="timeline-page"]')).toHaveLength(0);
    await user.click(earlier[0].querySelector('[data-fw="visit-expand"]') as HTMLElement);
    expect(earlier[0].querySelectorAll('[data-fw="timeline-page"]')).toHaveLength(3);

    expect(q('[data-fw="visitor-products"]')?.textContent).toContain("Phone X · 799 EUR");
    expect(q('[data-fw="visitor-searches"]')?.textContent).toContain("“phone case”");
    expect(q('[data-fw="visitor-attributes"]')?.textContent).toContain("cart_value129.9");

    await user.click(q('[data-fw="panel-chat"]') as HTMLElement);
    expect(onOpenChat).toHaveBeenCalledWith("c7");
    expect(q('[data-fw="visitor-panel"]')).toBeNull(); // out of the way of the chat

    await user.click(q('[data-visitor-id="v-bob"]') as HTMLElement);
    expect(q('[data-fw="visitor-panel"]')).not.toBeNull();
    await user.click(q('[data-fw="panel-close"]') as HTMLElement);
    expect(q('[data-fw="visitor-panel"]')).toBeNull();

    await user.click(q('[data-visitor-id="v-bob"]') as HTMLElement);
    expect(q('[data-fw="visitor-panel"]')).not.toBeNull();
    fireEvent.keyDown(document, { key: "Escape" });
    expect(q('[data-fw="visitor-panel"]')).toBeNull();
  });

  it("fetches the detail again, once, after a burst of updates of that visitor", async () => {
    const { calls, update } = show({ route });
    fireEvent.click(q('[data-visitor-id="v-bob"]') as HTMLElement);
    await waitFor(() => expect(calls).toHaveLength(1));
    const bob10 = { ...bob, pages_viewed: 10 };
    update([ana, { ...bob, pages_viewed: 9 }, cy]);
    update([ana, bob10, cy]);
    update([{ ...ana, pages_viewed: 4 }, bob10, cy]); // another visitor changed: not a reason to fetch
    await waitFor(() => expect(calls).toHaveLength(2), { timeout: 3000 });
    await act(() => new Promise((resolve) => setTimeout(resolve, 1200)));
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/visitors/v-bob", "/api/v1/visitors/v-bob"]);
  });
});
