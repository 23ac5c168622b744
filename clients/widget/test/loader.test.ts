import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boot, findScript } from "../src/loader/boot";
import type { FloorwalkerChatApi } from "../src/shared/types";
import { FAKE_TIMERS, settle } from "./helpers";
import { embed, forgetListenerRecording, gateway, load, newPage, recordListeners, site } from "./page";

const host = () => document.getElementById("floorwalker-widget");
const shadow = () => host()!.shadowRoot!;
const launcher = () => shadow().querySelector<HTMLButtonElement>('[data-fw="launcher"]')!;
const chatScripts = () => [...document.querySelectorAll<HTMLScriptElement>('script[src$="/widget-chat.js"]')];

/** The CSS text a shadow root adopted. */
function shadowCss(root: ShadowRoot): string {
  const adopted = (root.adoptedStyleSheets || []).flatMap((sheet) => [...sheet.cssRules].map((rule) => rule.cssText));
  return [...adopted, ...[...root.querySelectorAll("style")].map((style) => style.textContent)].join("\n");
}

describe("loader", () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS as never);
    recordListeners();
    newPage();
    localStorage.clear();
    document.cookie = "fw_vt_site-1=; Max-Age=0; Path=/";
  });
  afterEach(() => {
    newPage();
    forgetListenerRecording();
    vi.unstubAllGlobals();
    vi.useRealTimers();
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

  it("tracks the page view with a CORS-simple keepalive request carrying the visitor token in the body, not the URL", async () => {
    document.title = "Televisions";
    const server = await load();
    await vi.advanceTimersByTimeAsync(1000);
    const track = server.calls.find((c) => c.url.startsWith("https://gw.example/api/v1/track/events"))!;
    expect(track.url).toBe("https://gw.example/api/v1/track/events");
    expect(track.init.keepalive).toBe(true);
    expect(track.init.headers).toEqual({ "Content-Type": "text/plain" }); // no Authorization: no preflight
    expect(track.body).toEqual({
      visitor_token: "tok-1",
      events: [{ type: "pageview", page_id: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), url: location.href, title: "Televisions", at: expect.any(String) }],
    });
  });

  it("tracks single-page-app navigation as new page views", async () => {
    const server = await load();
    const pageviews = () => server.events().filter((e) => e.type === "pageview");
    history.pushState({}, "", "/cart");
    document.title = "Cart";
    history.replaceState({}, "", "/cart"); // same URL: not a new page
    await vi.advanceTimersByTimeAsync(1100);
    expect(pageviews().map((e) => new URL(e.url!).pathname)).toEqual(["/products/tv", "/cart"]);
    expect(pageviews()[1].title).toBe("Cart");
    history.pushState({}, "", "/products/tv");
    window.dispatchEvent(new PopStateEvent("popstate"));
    await vi.advanceTimersByTimeAsync(1100);
    expect(pageviews().map((e) => new URL(e.url!).pathname)).toEqual(["/products/tv", "/cart", "/products/tv"]);
  });

  it("draws an isolated launcher in an open shadow root with the site's look", async () => {
    await load(gateway({ site: { ...site, widget: { color: "#10b981", position: "left", title: "Ask us" } } }));
    expect(host()!.parentElement).toBe(document.body);
    expect(host()!.localName).toBe("floorwalker-widget"); // no host page rule for div or button matches it
    const css = shadowCss(shadow());
    expect(css).toMatch(/:host\s*\{\s*all:\s*initial\s*!important;\s*display:\s*block\s*!important/);
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

  it("hands its launcher to the chat, which draws the unread count on it (chat/launcher.ts)", async () => {
    await load();
    const chat: FloorwalkerChatApi = { version: "test", mount: vi.fn(() => ({ open() {}, minimise() {}, toggle() {}, destroy() {} })) };
    expect(shadow().querySelector('[data-fw="unread"]')).toBeNull(); // no badge before the chat is there
    launcher().click();
    window.FloorwalkerChat = chat;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await settle();
    expect(vi.mocked(chat.mount).mock.calls[0][1].launcher).toBe(launcher());
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
