import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createChannel } from "../src/loader/channel";
import type { FloorwalkerChatApi, MountOptions } from "../src/shared/types";
import { FAKE_TIMERS, FakeSocket, settle } from "./helpers";
import { forgetListenerRecording, gateway, load, newPage, recordListeners } from "./page";

const visitorSockets = () => FakeSocket.all.filter((s) => s.url === "wss://gw.example/ws/visitor");
const shadow = () => document.getElementById("floorwalker-widget")!.shadowRoot!;
const chatScripts = () => [...document.querySelectorAll<HTMLScriptElement>('script[src$="/widget-chat.js"]')];

describe("the loader's live socket", () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS as never);
    recordListeners();
    newPage();
    localStorage.clear();
  });
  afterEach(() => {
    newPage();
    forgetListenerRecording();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("opens one socket once a page view is recorded, authenticated by its first frame, and keeps it across navigation", async () => {
    await load();
    expect(visitorSockets()).toHaveLength(0); // the page view has not left yet
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(visitorSockets()).toHaveLength(1);
    const socket = visitorSockets()[0];
    expect(socket.url).not.toContain("tok-"); // never the token in the URL
    socket.open();
    expect(socket.sent[0]).toEqual({ type: "auth", token: "tok-1" });
    history.pushState({}, "", "/cart"); // single-page-app navigation: a new page view, the same socket
    await vi.advanceTimersByTimeAsync(1200);
    await settle();
    expect(visitorSockets()).toHaveLength(1);
  });

  it("opens none while the gateway refuses the page views, and none for a robot", async () => {
    await load(gateway({ track: () => ({ status: 403, body: { error: { code: "blocked" } } }) }));
    await vi.advanceTimersByTimeAsync(3000);
    expect(visitorSockets()).toHaveLength(0);
    newPage();
    await load(gateway({ robot: true }));
    await vi.advanceTimersByTimeAsync(3000);
    expect(visitorSockets()).toHaveLength(0);
  });

  it("reconnects after a drop with a growing, jittered delay, and at once when the browser is back online", async () => {
    const random = vi.fn(() => 0.5);
    const channel = createChannel({ baseUrl: "https://gw.example", siteKey: "site-1", token: "tok-1", factory: FakeSocket.factory, random });
    channel.start();
    channel.start(); // once
    expect(FakeSocket.all).toHaveLength(1);
    FakeSocket.latest().open();
    expect(channel.connected).toBe(true);
    for (const base of [500, 1000, 2000]) {
      FakeSocket.latest().drop();
      const before = FakeSocket.all.length;
      const jittered = Math.max(500, base / 2 + (0.5 * base) / 2); // half the base to the base, at least 0.5 s
      await vi.advanceTimersByTimeAsync(jittered - 1);
      expect(FakeSocket.all.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(FakeSocket.all.length).toBe(before + 1);
      FakeSocket.latest().readyState = 3; // this attempt fails too: the next waits twice as long
      FakeSocket.latest().onclose?.({ code: 1006 });
    }
    expect(random).toHaveBeenCalled();
    const before = FakeSocket.all.length;
    window.dispatchEvent(new Event("online"));
    expect(FakeSocket.all.length).toBe(before + 1);
  });

  it("asks for a new widget session after a close with 1008 and authenticates with its token", async () => {
    const renew = vi.fn(async () => ({ visitor_token: "tok-2", visitor_id: "v1", expires_in: 3600, site: { id: "s1", name: "Shop", widget: {} } }));
    const channel = createChannel({ baseUrl: "https://gw.example", siteKey: "site-1", token: "tok-1", factory: FakeSocket.factory, random: () => 0, renew });
    channel.start();
    FakeSocket.latest().open();
    FakeSocket.latest().drop(1008, "token expired");
    await vi.advanceTimersByTimeAsync(500);
    await settle();
    expect(renew).toHaveBeenCalledTimes(1);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().sent[0]).toEqual({ type: "auth", token: "tok-2" });
    expect(channel.token()).toBe("tok-2");
  });

  it("hands its socket to the chat when the chat is loaded: no second socket", async () => {
    await load();
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    visitorSockets()[0].open();
    let given: MountOptions | undefined;
    const chat: FloorwalkerChatApi = {
      version: "test",
      mount: vi.fn((_, options: MountOptions) => {
        given = options;
        return { open() {}, minimise() {}, toggle() {}, destroy() {} };
      }),
    };
    shadow().querySelector<HTMLButtonElement>('[data-fw="launcher"]')!.click();
    window.FloorwalkerChat = chat;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await settle();
    expect(given!.channel).toBeDefined();
    expect(given!.channel!.connected).toBe(true);
    const frames: string[] = [];
    given!.channel!.listen({ frame: (frame) => frames.push(frame.type) });
    visitorSockets()[0].receive({ type: "message.created", message: {} });
    expect(frames).toEqual(["message.created"]);
    expect(given!.channel!.send({ type: "ping" })).toBe(true);
    expect(visitorSockets()[0].framesOfType("ping")).toHaveLength(1);
    expect(visitorSockets()).toHaveLength(1);
  });

  it("opens the socket for the chat of a visitor whose page views are not tracked", async () => {
    await load(gateway({ tracking: { enabled: false, consent_required: false, consent: false, honor_dnt: true } }));
    await vi.advanceTimersByTimeAsync(3000);
    expect(visitorSockets()).toHaveLength(0);
    shadow().querySelector<HTMLButtonElement>('[data-fw="launcher"]')!.click();
    expect(visitorSockets()).toHaveLength(1);
  });
});
