import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boot, findScript } from "../src/loader/boot";
import { resetChatUiLoader } from "../src/loader/lazy";
import type { FloorwalkerChatApi, PublicSite } from "../src/shared/types";
import { fakeFetch, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { color: "#10b981", position: "right", title: "Ask us", greeting: "Hi" } };
const originalPush = history.pushState;
const originalReplace = history.replaceState;
const originalAddListener = window.addEventListener.bind(window);
let pageListeners: Array<[string, EventListenerOrEventListenerObject]> = [];

/** Records the loader's window listeners so that the next test starts from a fresh page. */
function recordWindowListeners() {
  window.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject, options?: AddEventListenerOptions) => {
    pageListeners.push([type, listener]);
    originalAddListener(type, listener, options);
  }) as typeof window.addEventListener;
}

function gateway(options: { sessionStatus?: number; site?: PublicSite } = {}) {
  let issued = 0;
  return fakeFetch({
    "POST /api/v1/widget/session": () =>
      options.sessionStatus
        ? { status: options.sessionStatus, body: { error: { code: "origin_not_allowed" } } }
        : { status: 200, body: { visitor_token: `tok-${++issued}`, visitor_id: "v1", expires_in: 31536000, site: options.site ?? site } },
    "POST /api/v1/track/events": () => ({ status: 202, body: { accepted: 1 } }),
  });
}

function embed(src = "https://gw.example/widget.js", key = "site-1"): HTMLScriptElement {
  const script = document.createElement("script");
  script.src = src;
  script.async = true;
  script.dataset.site = key;
  document.body.appendChild(script);
  return script;
}

/** A new page view of the same site: the page's globals are gone, storage and cookies stay. */
function newPage() {
  delete window.__floorwalker;
  delete window.FloorwalkerChat;
  resetChatUiLoader();
  history.pushState = originalPush;
  history.replaceState = originalReplace;
  for (const [type, listener] of pageListeners.splice(0)) window.removeEventListener(type, listener);
  document.head.innerHTML = "";
  document.body.innerHTML = "";
}

async function load(server = gateway()) {
  vi.stubGlobal("fetch", server.fetch);
  embed();
  boot();
  await window.__floorwalker?.ready;
  return server;
}

const host = () => document.getElementById("floorwalker-widget");
const shadow = () => host()!.shadowRoot!;
const launcher = () => shadow().querySelector<HTMLButtonElement>('[data-fw="launcher"]')!;
const chatScripts = () => [...document.querySelectorAll<HTMLScriptElement>('script[src$="/widget-chat.js"]')];

describe("loader", () => {
  beforeEach(() => {
    recordWindowListeners();
    newPage();
    localStorage.clear();
    document.cookie = "fw_vt_site-1=; Max-Age=0; Path=/";
  });
  afterEach(() => {
    newPage();
    delete (window as { addEventListener?: unknown }).addEventListener; // back to the prototype's
    vi.unstubAllGlobals();
  });

  it("finds its own script tag and the site key, preferring document.currentScript", () => {
    embed("https://other.example/widget.js", "first");
    const mine = embed("https://gw.example/widget.js", "second");
    expect(findScript()?.dataset.site).toBe("first"); // no currentScript: first matching tag
    const spy = vi.spyOn(document, "currentScript", "get").mockReturnValue(mine);
    expect(findScript()).toBe(mine);
    spy.mockRestore();
  });

  it("opens a session at the origin of its script with the site key", async () => {
    const server = gateway();
    vi.stubGlobal("fetch", server.fetch);
    embed("https://gw.example:8443/static/widget.js?v=3", "site-1");
    boot();
    await window.__floorwalker!.ready;
    expect(server.calls[0].url).toBe("https://gw.example:8443/api/v1/widget/session");
    expect(server.calls[0].body).toEqual({ site_key: "site-1" });
    expect(window.__floorwalker).toMatchObject({ siteKey: "site-1", baseUrl: "https://gw.example:8443" });
  });

  it("is idempotent: a second run (snippet pasted twice) creates nothing more", async () => {
    const server = await load();
    embed();
    boot();
    boot();
    await settle();
    expect(document.querySelectorAll("#floorwalker-widget")).toHaveLength(1);
    expect(server.calls.filter((c) => c.url.endsWith("/widget/session"))).toHaveLength(1);
  });

  it("keeps the visitor token in localStorage and a first-party cookie and sends it back next time", async () => {
    await load();
    expect(localStorage.getItem("fw:vt:site-1")).toBe("tok-1");
    expect(document.cookie).toContain("fw_vt_site-1=tok-1");

    newPage();
    const second = await load();
    expect(second.calls[0].body).toEqual({ site_key: "site-1", visitor_token: "tok-1" });

    newPage();
    localStorage.clear(); // the cookie alone still knows the visitor
    const third = await load();
    expect(third.calls[0].body).toEqual({ site_key: "site-1", visitor_token: "tok-1" });
  });

  it.each([
    ["the session is refused", () => gateway({ sessionStatus: 403 }).fetch],
    ["the gateway cannot be reached", () => vi.fn(async () => Promise.reject(new TypeError("offline"))) as unknown as typeof fetch],
  ])("does nothing, silently, when %s", async (_, makeFetch) => {
    const fetchMock = makeFetch();
    vi.stubGlobal("fetch", fetchMock);
    embed();
    expect(() => boot()).not.toThrow();
    await window.__floorwalker!.ready;
    expect(host()).toBeNull();
    expect(vi.mocked(fetchMock).mock.calls).toHaveLength(1);
  });

  it("tracks the page view with keepalive and the visitor token", async () => {
    document.title = "Televisions";
    const server = await load();
    const track = server.calls.find((c) => c.url === "https://gw.example/api/v1/track/events")!;
    expect(track.init.keepalive).toBe(true);
    expect((track.init.headers as Record<string, string>).Authorization).toBe("Bearer tok-1");
    expect(track.body).toEqual({ events: [{ type: "pageview", url: location.href, title: "Televisions", referrer: document.referrer }] });
  });

  it("tracks single-page-app navigation as new page views", async () => {
    const server = await load();
    const tracked = () => server.calls.filter((c) => c.url.endsWith("/track/events")).map((c) => (c.body as { events: { url: string; title: string }[] }).events[0]);
    history.pushState({}, "", "/cart");
    document.title = "Cart";
    history.replaceState({}, "", "/cart"); // same URL: not a new page
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(tracked().map((e) => new URL(e.url).pathname)).toEqual(["/products/tv", "/cart"]);
    expect(tracked()[1].title).toBe("Cart");
    history.pushState({}, "", "/products/tv");
    window.dispatchEvent(new PopStateEvent("popstate"));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(tracked().map((e) => new URL(e.url).pathname)).toEqual(["/products/tv", "/cart", "/products/tv"]);
  });

  it("draws an isolated launcher in an open shadow root with the site's look", async () => {
    await load(gateway({ site: { ...site, widget: { color: "#10b981", position: "left", title: "Ask us" } } }));
    expect(host()!.parentElement).toBe(document.body);
    const style = shadow().querySelector("style")!;
    expect(style.textContent!.startsWith(":host { all: initial; }")).toBe(true);
    expect(launcher().textContent).toContain("Ask us");
    const frame = launcher().parentElement!;
    expect(frame.classList.contains("left")).toBe(true);
    expect(frame.style.getPropertyValue("--fw-color")).toBe("#10b981");
    expect(document.head.querySelector("style")).toBeNull(); // nothing leaks into the page
  });

  it("uses the defaults for a site without a look", async () => {
    await load(gateway({ site: { ...site, widget: {} } }));
    expect(launcher().textContent).toContain("Chat with us");
    expect(launcher().parentElement!.style.getPropertyValue("--fw-color")).toBe("#2563eb");
  });

  it("loads the chat UI once, on the first click, and mounts it inside the shadow root", async () => {
    await load();
    expect(chatScripts()).toHaveLength(0);
    const handle = { open: vi.fn(), minimise: vi.fn(), toggle: vi.fn(), destroy: vi.fn() };
    const chat: FloorwalkerChatApi = { version: "test", mount: vi.fn(() => handle) };
    launcher().click();
    launcher().click();
    expect(chatScripts().map((s) => s.src)).toEqual(["https://gw.example/widget-chat.js"]);
    window.FloorwalkerChat = chat;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await settle();
    expect(chat.mount).toHaveBeenCalledTimes(1);
    const [container, options] = vi.mocked(chat.mount).mock.calls[0];
    expect(container.getRootNode()).toBe(shadow());
    expect(options).toMatchObject({ baseUrl: "https://gw.example", siteKey: "site-1", visitorToken: "tok-1", site, open: true });
    launcher().click();
    expect(handle.toggle).toHaveBeenCalledTimes(1);
  });

  it("shows the chat's unread count on the launcher while the panel is minimised", async () => {
    await load();
    const chat: FloorwalkerChatApi = { version: "test", mount: vi.fn(() => ({ open() {}, minimise() {}, toggle() {}, destroy() {} })) };
    launcher().click();
    window.FloorwalkerChat = chat;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await settle();
    const { onState } = vi.mocked(chat.mount).mock.calls[0][1];
    const badge = shadow().querySelector<HTMLElement>('[data-fw="unread"]')!;
    onState!({ open: false, unread: 2 });
    expect([badge.hidden, badge.textContent, launcher().getAttribute("aria-expanded")]).toEqual([false, "2", "false"]);
    onState!({ open: true, unread: 0 });
    expect([badge.hidden, badge.textContent, launcher().getAttribute("aria-expanded")]).toEqual([true, "", "true"]);
  });

  it("lets a later click try again when the chat UI failed to load", async () => {
    await load();
    launcher().click();
    chatScripts()[0].dispatchEvent(new Event("error"));
    await settle();
    expect(chatScripts()).toHaveLength(0);
    launcher().click();
    expect(chatScripts()).toHaveLength(1);
  });

  it("mounts the chat at once when a conversation is open (navigation, reload)", async () => {
    localStorage.setItem("fw:conv:site-1", JSON.stringify({ conversation_id: "c1", last_seq: 3, open: true }));
    await load();
    expect(chatScripts()).toHaveLength(1);
    const chat: FloorwalkerChatApi = { version: "test", mount: vi.fn(() => ({ open() {}, minimise() {}, toggle() {}, destroy() {} })) };
    window.FloorwalkerChat = chat;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await settle();
    expect(vi.mocked(chat.mount).mock.calls[0][1].open).toBeUndefined(); // keeps the last panel state
  });

  it("does not load the chat UI for a closed conversation", async () => {
    localStorage.setItem("fw:conv:site-1", JSON.stringify({ conversation_id: "c1", last_seq: 3, open: false }));
    await load();
    expect(chatScripts()).toHaveLength(0);
  });
});
