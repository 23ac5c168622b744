/** What a site owner sees of tracking: batches, beacons, retries, time on page, SPA navigation, DNT and consent. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TrackingSettings } from "../src/shared/types";
import { FAKE_TIMERS } from "./helpers";
import { blobText, forgetListenerRecording, gateway, load, newPage, recordListeners, serveChatBundle, resetVisibility, setVisibility, START_URL, type TrackedEvent } from "./page";

const TRACK_URL = "https://gw.example/api/v1/track/events";
const tracking = (overrides: Partial<TrackingSettings> = {}): TrackingSettings => ({
  enabled: true,
  consent_required: false,
  consent: false,
  honor_dnt: true,
  ...overrides,
});
const fw = (...args: unknown[]) => window.Floorwalker!(args[0] as string, ...args.slice(1));
const beacons: Array<{ url: string; blob: Blob }> = [];
const beaconBodies = () => Promise.all(beacons.map(async (b) => JSON.parse(await blobText(b.blob)) as { visitor_token?: string; events: TrackedEvent[] }));
const beaconEvents = async () => (await beaconBodies()).flatMap((b) => b.events);

function stubNavigator(name: string, value: unknown) {
  Object.defineProperty(navigator, name, { configurable: true, value });
}

describe("tracking", () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS as never);
    recordListeners();
    newPage();
    serveChatBundle(); // identify, set, track and consent are checked and sent by the chat bundle
    localStorage.clear();
    beacons.length = 0;
    stubNavigator(
      "sendBeacon",
      vi.fn((url: string, blob: Blob) => {
        beacons.push({ url, blob });
        return true;
      }),
    );
  });
  afterEach(() => {
    newPage();
    forgetListenerRecording();
    resetVisibility();
    delete (navigator as { sendBeacon?: unknown }).sendBeacon;
    delete (navigator as { doNotTrack?: unknown }).doNotTrack;
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("sends several events in one batch about a second after the first", async () => {
    const server = await load();
    fw("track", "product", { sku: "TV-55", name: "TV 55", price: 499.9, currency: "EUR" });
    fw("track", "search", { query: "oled" });
    fw("set", { cart_value: 120, plan: "pro" });
    await vi.advanceTimersByTimeAsync(900);
    expect(server.batches()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(server.batches()).toHaveLength(1);
    expect(server.batches()[0].map((e) => e.type)).toEqual(["pageview", "product", "search", "attributes"]);
    const track = server.calls.find((c) => c.url.includes("/track/events"))!;
    expect(track.url).toBe(TRACK_URL);
    expect(track.init).toMatchObject({ method: "POST", keepalive: true, headers: { "Content-Type": "text/plain" } });
    for (const event of server.batches()[0]) expect(Date.parse(event.at!)).toBe(Date.now() - 1100);
  });

  it("sends at once when 20 events are queued", async () => {
    const server = await load();
    for (let i = 0; i < 19; i++) fw("track", "search", { query: `q${i}` });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.batches().map((b) => b.length)).toEqual([20]);
  });

  it("splits batches so that no body reaches 64 KB", async () => {
    const server = await load();
    const big = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`attribute_${String(i).padStart(50, "0")}`, "x".repeat(300)]));
    for (let i = 0; i < 6; i++) fw("set", big);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(10);
    const bodies = server.calls.filter((c) => c.url.includes("/track/events")).map((c) => new Blob([c.init.body as string]).size);
    expect(bodies.length).toBeGreaterThan(1);
    for (const size of bodies) expect(size).toBeLessThan(64 * 1024);
    expect(server.events().filter((e) => e.type === "attributes")).toHaveLength(6);
    const values = (server.events()[1].attributes as Record<string, string>);
    expect(Object.values(values)[0]).toHaveLength(256); // string values cut to 256
  });

  it("sends what is queued with sendBeacon when the page goes away, with the time it was visible", async () => {
    const server = await load();
    await vi.advanceTimersByTimeAsync(1000); // the page view leaves by fetch
    const pageId = server.events()[0].page_id;
    fw("track", "search", { query: "hdmi cable" });
    await vi.advanceTimersByTimeAsync(11_000);
    expect(server.batches()).toHaveLength(2);
    fw("set", { plan: "pro" });
    window.dispatchEvent(new PageTransitionEvent("pagehide"));
    expect(beacons.map((b) => [b.url, b.blob.type])).toEqual([[TRACK_URL, "text/plain"]]); // no token in the URL
    expect((await beaconBodies()).map((b) => b.visitor_token)).toEqual(["tok-1"]); // sendBeacon cannot set headers
    expect(await beaconEvents()).toEqual([
      { type: "attributes", attributes: { plan: "pro" }, at: expect.any(String) },
      { type: "engagement", page_id: pageId, visible_seconds: 12, at: expect.any(String) },
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.batches()).toHaveLength(2); // nothing sent twice
  });

  it("falls back to fetch keepalive when sendBeacon is missing or refuses", async () => {
    stubNavigator("sendBeacon", vi.fn(() => false));
    const server = await load();
    setVisibility("hidden");
    expect(server.batches()).toEqual([[expect.objectContaining({ type: "pageview" }), expect.objectContaining({ type: "engagement", visible_seconds: 0 })]]);
    expect(server.calls.at(-1)!.init.keepalive).toBe(true);
  });

  it("retries a batch after a network failure without sending a page view twice", async () => {
    let attempts = 0;
    const server = await load(
      gateway({
        track: () => {
          attempts++;
          if (attempts <= 2) throw new TypeError("Failed to fetch");
          return { status: 202, body: { accepted: 1 } };
        },
      }),
    );
    fw("track", "search", { query: "tv" });
    await vi.advanceTimersByTimeAsync(1000); // first try fails
    await vi.advanceTimersByTimeAsync(1000); // retry after 1 s fails
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(1900);
    expect(attempts).toBe(2); // the second retry waits 2 s
    await vi.advanceTimersByTimeAsync(200);
    expect(attempts).toBe(3);
    const batches = server.batches();
    expect(batches[2]).toEqual(batches[0]); // the same events, the same page_id
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.batches()).toHaveLength(3);
  });

  it("retries on 5xx and 429 but drops a batch the gateway refuses with another 4xx", async () => {
    const answers = [503, 429, 202, 422];
    const server = await load(gateway({ track: () => ({ status: answers.shift() ?? 202, body: {} }) }));
    await vi.advanceTimersByTimeAsync(1000); // 503
    await vi.advanceTimersByTimeAsync(1000); // 429
    await vi.advanceTimersByTimeAsync(2000); // 202
    expect(server.batches().map((b) => b[0].type)).toEqual(["pageview", "pageview", "pageview"]);
    fw("track", "search", { query: "refused" });
    await vi.advanceTimersByTimeAsync(1000); // 422: dropped
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.batches().map((b) => b[0].type)).toEqual(["pageview", "pageview", "pageview", "search"]);
  });

  it("counts only the time the page is visible", async () => {
    const server = await load();
    await vi.advanceTimersByTimeAsync(10_000);
    setVisibility("hidden");
    await vi.advanceTimersByTimeAsync(60_000);
    setVisibility("visible");
    await vi.advanceTimersByTimeAsync(5_000);
    history.pushState({}, "", "/cart");
    await vi.advanceTimersByTimeAsync(1100);
    const engagements = [...(await beaconEvents()), ...server.events()].filter((e) => e.type === "engagement");
    expect(engagements.map((e) => e.visible_seconds)).toEqual([10, 15]); // when hidden (a mobile page may never come back), then at its end
  });

  it("ends the page's engagement on SPA navigation and sends the new page view with the previous URL as referrer", async () => {
    document.title = "TV";
    const server = await load();
    await vi.advanceTimersByTimeAsync(8_000);
    history.pushState({}, "", "/cart");
    document.title = "Cart";
    await vi.advanceTimersByTimeAsync(1_100);
    const [first, engagement, second] = server.events();
    expect(first).toMatchObject({ type: "pageview", url: START_URL, title: "TV" });
    expect(engagement).toEqual({ type: "engagement", page_id: first.page_id, visible_seconds: 8, at: expect.any(String) });
    expect(second).toMatchObject({ type: "pageview", url: "https://shop.example/cart", title: "Cart", referrer: START_URL });
    expect(second.page_id).not.toBe(first.page_id);
    history.replaceState({}, "", "/cart"); // the same URL: not a new page view
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.events()).toHaveLength(3);
  });

  it("ends the page after 30 minutes without activity and starts a new page view when the visitor is back", async () => {
    const server = await load();
    await vi.advanceTimersByTimeAsync(20_000);
    window.dispatchEvent(new MouseEvent("mousemove"));
    await vi.advanceTimersByTimeAsync(30 * 60_000 - 1);
    expect(server.events().map((e) => e.type)).toEqual(["pageview"]);
    await vi.advanceTimersByTimeAsync(1001); // idle for 30 minutes; then the batch leaves
    const [first, engagement] = server.events();
    expect(engagement).toMatchObject({ type: "engagement", page_id: first.page_id, visible_seconds: 20 });
    document.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true }));
    await vi.advanceTimersByTimeAsync(1000);
    const third = server.events()[2];
    expect(third).toMatchObject({ type: "pageview", url: START_URL });
    expect(third.page_id).not.toBe(first.page_id);
  });

  it("trims long titles and leaves out what cannot be sent", async () => {
    document.title = "é".repeat(600);
    vi.spyOn(document, "referrer", "get").mockReturnValue("android-app://com.example");
    const server = await load();
    await vi.advanceTimersByTimeAsync(1000);
    const [view] = server.events();
    expect(view.title).toBe("é".repeat(512));
    expect(view).not.toHaveProperty("referrer");
    history.pushState({}, "", `/search?q=${"a".repeat(2100)}`); // over 2048 characters: no page view
    await vi.advanceTimersByTimeAsync(1100);
    fw("track", "search", { query: "a" });
    await vi.advanceTimersByTimeAsync(1100);
    expect(server.events().map((e) => e.type)).toEqual(["pageview", "engagement", "search"]);
    expect(server.events()[2]).not.toHaveProperty("page_id");
  });

  it("tracks nothing when the site honours Do-Not-Track and the browser sends it", async () => {
    stubNavigator("doNotTrack", "1");
    const server = await load(gateway({ tracking: tracking({ honor_dnt: true }) }));
    fw("track", "search", { query: "tv" });
    fw("consent", true); // consent does not override Do-Not-Track
    await vi.advanceTimersByTimeAsync(2000);
    window.dispatchEvent(new PageTransitionEvent("pagehide"));
    expect(server.batches()).toEqual([]);
    expect(beacons).toEqual([]);
  });

  it("tracks with Do-Not-Track when the site does not honour it, and nothing when tracking is off", async () => {
    stubNavigator("doNotTrack", "1");
    const server = await load(gateway({ tracking: tracking({ honor_dnt: false }) }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.batches()).toHaveLength(1);

    newPage();
    const off = await load(gateway({ tracking: tracking({ enabled: false }) }));
    await vi.advanceTimersByTimeAsync(2000);
    window.dispatchEvent(new PageTransitionEvent("pagehide"));
    expect(off.batches()).toEqual([]);
    expect(beacons).toEqual([]);
  });

  it("waits for consent when the site requires it, then sends the current page view", async () => {
    const server = await load(gateway({ tracking: tracking({ consent_required: true }) }));
    fw("track", "product", { sku: "TV-55", name: "TV 55" });
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.batches()).toEqual([]);

    fw("consent", true);
    await vi.advanceTimersByTimeAsync(0);
    const consent = server.calls.find((c) => c.url.endsWith("/api/v1/widget/consent"))!;
    expect(consent.body).toEqual({ granted: true });
    expect((consent.init.headers as Record<string, string>).Authorization).toBe("Bearer tok-1");
    const [view, product] = server.events();
    expect(view).toMatchObject({ type: "pageview", url: START_URL });
    expect(product).toMatchObject({ type: "product", page_id: view.page_id, sku: "TV-55" });
    // the token given back with the consent carries it: events go with it, and the next pages keep it
    const sent = server.calls.filter((c) => c.url.includes("/api/v1/track/events"));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.map((c) => (c.body as { visitor_token: string }).visitor_token)).toEqual(sent.map(() => "tok-consent-true"));
    expect(sent.every((c) => c.url === TRACK_URL)).toBe(true);
    expect(localStorage.getItem("fw:vt:site-1")).toBe("tok-consent-true");

    fw("consent", false);
    fw("track", "search", { query: "after withdrawal" });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls.filter((c) => c.url.endsWith("/widget/consent")).map((c) => c.body)).toEqual([{ granted: true }, { granted: false }]);
    await vi.advanceTimersByTimeAsync(5000);
    window.dispatchEvent(new PageTransitionEvent("pagehide"));
    expect(server.events().map((e) => e.type)).toEqual(["pageview", "product"]);
    expect(beacons).toEqual([]);
  });

  it("tracks at once when the visitor consented on an earlier page", async () => {
    const server = await load(gateway({ tracking: tracking({ consent_required: true, consent: true }) }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.events().map((e) => e.type)).toEqual(["pageview"]);
  });

  it("does not start tracking when the gateway did not store the consent", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const server = await load(gateway({ tracking: tracking({ consent_required: true }), consent: () => ({ status: 503 }) }));
    fw("consent", true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(server.batches()).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("consent"));
  });
});
