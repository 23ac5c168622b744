/** The host page's API: `Floorwalker(command, ...)`, the queue stub, identify, events, open/close, robots. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boot } from "../src/loader/boot";
import type { ChatHandle, FloorwalkerChatApi } from "../src/shared/types";
import { chatApi } from "../src/chat/bundle";
import { FAKE_TIMERS, settle } from "./helpers";
import { embed, forgetListenerRecording, gateway, load, newPage, recordListeners, serveChatBundle } from "./page";

/** The snippet a site pastes before the widget's script tag. */
const STUB = "window.Floorwalker=window.Floorwalker||function(){(Floorwalker.q=Floorwalker.q||[]).push(arguments)}";
const fw = (...args: unknown[]) => window.Floorwalker!(args[0] as string, ...args.slice(1));
const launcher = () => document.getElementById("floorwalker-widget")?.shadowRoot?.querySelector('[data-fw="launcher"]') ?? null;

describe("Floorwalker(...) host API", () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS as never);
    recordListeners();
    newPage();
    serveChatBundle(); // identify, set, track and consent are checked and sent by the chat bundle
    localStorage.clear();
    warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => {
    newPage();
    forgetListenerRecording();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("replays the calls queued by the stub before the loader ran, then takes its place", async () => {
    new Function(STUB)();
    fw("track", "product", { sku: "TV-55", name: "TV 55", price: 499, url: "https://shop.example/p/tv-55", category: "TV" });
    fw("identify", { user_id: "u-42", email: "ana@example.com", signature: "ab12" });
    fw("track", "search", { query: "oled" });
    expect(window.Floorwalker!.q).toHaveLength(3);

    const server = gateway();
    vi.stubGlobal("fetch", server.fetch);
    embed();
    boot();
    expect(window.Floorwalker!.q).toBeUndefined(); // the real function, already
    fw("set", { plan: "pro" }); // before the session is open: waits for it
    await window.__floorwalker!.ready;
    await vi.advanceTimersByTimeAsync(1000);

    const [view, product, search, attributes] = server.events();
    expect(view.type).toBe("pageview");
    expect(product).toEqual({
      type: "product", page_id: view.page_id, sku: "TV-55", name: "TV 55", price: 499,
      url: "https://shop.example/p/tv-55", category: "TV", at: expect.any(String),
    });
    expect(search).toEqual({ type: "search", page_id: view.page_id, query: "oled", at: expect.any(String) });
    expect(attributes).toEqual({ type: "attributes", attributes: { plan: "pro" }, at: expect.any(String) });
    expect(server.calls.filter((c) => c.url.endsWith("/widget/identify"))).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
  });

  it("identifies the logged-in user with the visitor token", async () => {
    const server = await load();
    fw("identify", { user_id: 42, email: "ana@example.com", name: "Ana", phone: "+55 11 5555", signature: "9f86d081", extra: "ignored" });
    await settle();
    const call = server.calls.find((c) => c.url.includes("/widget/identify"))!;
    expect(call.url).toBe("https://gw.example/api/v1/widget/identify");
    expect(call.init.method).toBe("POST");
    expect(call.init.headers).toEqual({ "Content-Type": "application/json", Authorization: "Bearer tok-1" });
    expect(call.body).toEqual({ user_id: "42", email: "ana@example.com", name: "Ana", phone: "+55 11 5555", signature: "9f86d081" });
  });

  it("warns when the gateway refuses the identity", async () => {
    await load(gateway({ identify: () => ({ status: 403, body: { error: { code: "identity_not_verified" } } }) }));
    fw("identify", { user_id: "u-1", signature: "wrong" });
    await settle();
    expect(warn).toHaveBeenCalledWith("Floorwalker: identify: refused (403)");
  });

  it("product and search events carry the current page view, also after SPA navigation", async () => {
    const server = await load();
    history.pushState({}, "", "/search?q=tv");
    await vi.advanceTimersByTimeAsync(60);
    fw("track", "search", { query: "tv" });
    fw("track", "product", { name: "TV 55", price: Number.NaN, url: "javascript:alert(1)" });
    await vi.advanceTimersByTimeAsync(1000);
    const events = server.events();
    const current = events.filter((e) => e.type === "pageview")[1];
    expect(current.url).toBe("https://shop.example/search?q=tv");
    expect(events.slice(-2)).toEqual([
      { type: "search", page_id: current.page_id, query: "tv", at: expect.any(String) },
      { type: "product", page_id: current.page_id, name: "TV 55", at: expect.any(String) }, // bad price and URL left out
    ]);
  });

  it("sends site events for the rules with the current page view; a bad name is refused with a warning", async () => {
    const server = await load();
    fw("event", "added_to_cart");
    fw("event", "bad name!");
    fw("event", 42);
    await vi.advanceTimersByTimeAsync(1000);
    const [view, ...rest] = server.events();
    expect(rest).toEqual([{ type: "event", page_id: view.page_id, name: "added_to_cart", at: expect.any(String) }]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("keeps only valid custom attributes", async () => {
    const server = await load();
    fw("set", { cart_value: 120, plan: "pro", vip: true, coupon: null, nested: { a: 1 }, ["n".repeat(65)]: 1, infinite: Infinity });
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.events()[1].attributes).toEqual({ cart_value: 120, plan: "pro", vip: true, coupon: null });
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it("ignores unknown commands and bad arguments with a warning, never throwing into the page", async () => {
    const server = await load();
    const calls: unknown[][] = [
      ["explode"],
      ["identify"],
      ["identify", { email: "no-id@example.com" }],
      ["set", "plan=pro"],
      ["track", "purchase", { total: 10 }],
      ["track", "product", { sku: "no-name" }],
      ["track", "search", {}],
      ["consent", "yes"],
      [Symbol("odd")],
    ];
    for (const args of calls) expect(() => fw(...args)).not.toThrow();
    await vi.advanceTimersByTimeAsync(2000);
    expect(warn).toHaveBeenCalledTimes(calls.length);
    expect(warn.mock.calls[0][0]).toBe("Floorwalker: explode: unknown command");
    expect(server.events().map((e) => e.type)).toEqual(["pageview"]);
    expect(server.calls.filter((c) => /identify|consent/.test(c.url))).toEqual([]);
  });

  it("loads the chat bundle for the first command that sends something, never for open and close", async () => {
    newPage(); // widget-chat.js not served: it loads when the test says so
    const chatScripts = () => document.querySelectorAll<HTMLScriptElement>('script[src$="/widget-chat.js"]');
    const server = await load();
    fw("close");
    await settle();
    expect(chatScripts()).toHaveLength(0);
    fw("set", { plan: "pro" });
    fw("track", "search", { query: "tv" });
    await settle();
    expect(chatScripts()).toHaveLength(1);
    window.FloorwalkerChat = chatApi;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.events().map((e) => e.type)).toEqual(["pageview", "attributes", "search"]); // in order
    fw("track", "search", {}); // the bundle is there: checked at once
    expect(warn).toHaveBeenCalledWith("Floorwalker: track: needs query");
  });

  it("opens and collapses the chat panel", async () => {
    await load();
    const handle: ChatHandle = { open: vi.fn(), minimise: vi.fn(), toggle: vi.fn(), destroy: vi.fn() };
    const chat: FloorwalkerChatApi = { version: "test", mount: vi.fn(() => handle) };
    window.FloorwalkerChat = chat;
    fw("open");
    await settle();
    expect(vi.mocked(chat.mount).mock.calls[0][1].open).toBe(true);
    fw("close");
    expect(handle.minimise).toHaveBeenCalledTimes(1);
    fw("open");
    expect(handle.open).toHaveBeenCalledTimes(1);
  });

  it("shows no launcher and no chat to a robot", async () => {
    const server = await load(gateway({ robot: true }));
    expect(launcher()).toBeNull();
    expect(() => {
      fw("open");
      fw("close");
    }).not.toThrow();
    await settle();
    expect(document.querySelector('script[src$="/widget-chat.js"]')).toBeNull();
    expect(server.calls[0].url).toContain("/widget/session");
    expect(warn).toHaveBeenCalledTimes(1); // one clear line in the host page's console, not one per call
    expect(String(warn.mock.calls[0][0])).toMatch(/^Floorwalker: this browser was taken for a robot/);
  });

  it("shows the launcher to a person, without a warning", async () => {
    await load(gateway({ robot: false }));
    expect(launcher()).not.toBeNull();
    expect(warn).not.toHaveBeenCalled();
  });

  it("accepts calls silently when the widget could not start, after one warning that says why", async () => {
    new Function(STUB)();
    fw("identify", { user_id: "u-1" });
    const server = await load(gateway({ sessionStatus: 403 }));
    expect(() => fw("track", "search", { query: "tv" })).not.toThrow();
    await vi.advanceTimersByTimeAsync(2000);
    expect(server.calls).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(1); // the refusal, not one per call
    expect(String(warn.mock.calls[0][0])).toMatch(/^Floorwalker: the chat widget is not shown: .*site /);
  });
});
