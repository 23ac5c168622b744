import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { initials } from "../src/chat/bubble";
import { chatApi } from "../src/chat/bundle";
import type { FloorwalkerChatApi, MountOptions } from "../src/shared/types";
import { FAKE_TIMERS, FakeSocket, conversation, settle } from "./helpers";
import { forgetListenerRecording, load, newPage, recordListeners, serveChatBundle } from "./page";

const shadow = () => document.getElementById("floorwalker-widget")!.shadowRoot!;
const $ = <T extends HTMLElement = HTMLElement>(name: string) => shadow().querySelector<T>(`[data-fw="${name}"]`)!;
const bubble = () => $("invitation");
/** The bubble is drawn (by the chat bundle, on the first invitation) and visible. */
const shown = () => !!shadow().querySelector('[data-fw="invitation"]:not([hidden])');
const chatScripts = () => [...document.querySelectorAll<HTMLScriptElement>('script[src$="/widget-chat.js"]')];

const OLGA = { id: "u1", name: "Olga Petrova", photo_url: null };

function invitation(overrides: Record<string, unknown> = {}) {
  return {
    type: "invitation",
    invitation_id: "i1",
    rule_id: null,
    variant: null,
    text: "Looking for a laptop? I can help.",
    operator: OLGA,
    auto_open: false,
    delay_s: 0,
    expires_at: new Date(Date.now() + 300_000).toISOString(),
    ...overrides,
  };
}

/** A page with the widget whose live socket is open (a page view was recorded); it serves the chat bundle. */
async function livePage(serve = true): Promise<FakeSocket> {
  if (serve) serveChatBundle();
  await load();
  await vi.advanceTimersByTimeAsync(1000);
  await settle();
  const socket = FakeSocket.all.find((s) => s.url.endsWith("/ws/visitor"))!;
  socket.open();
  return socket;
}

/** The chat bundle, stubbed (as if loaded already): what the loader mounts it with. */
function stubChat(): { mounted: MountOptions[] } {
  const mounted: MountOptions[] = [];
  const chat: FloorwalkerChatApi = {
    ...chatApi,
    mount: (_, options) => {
      mounted.push(options);
      return { open() {}, minimise() {}, toggle() {}, destroy() {}, invite() {} };
    },
  };
  window.FloorwalkerChat = chat;
  return { mounted };
}

describe("invitations on the visitor's screen", () => {
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

  it("shows the bubble after its delay with the operator's initials, name and text, announced politely", async () => {
    const socket = await livePage();
    expect(shown()).toBe(false);
    socket.receive(invitation({ delay_s: 2 }));
    await vi.advanceTimersByTimeAsync(1999);
    expect(shown()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(shown()).toBe(true);
    expect($("invitation-name").textContent).toBe("Olga Petrova");
    expect($("invitation-text").textContent).toBe("Looking for a laptop? I can help.");
    expect($("invitation-avatar").textContent).toBe("OP");
    expect($("invitation-live").getAttribute("aria-live")).toBe("polite");
    expect($("invitation-live").textContent).toBe("Olga Petrova: Looking for a laptop? I can help.");
    expect(socket.framesOfType("invitation.shown")).toEqual([{ type: "invitation.shown", invitation_id: "i1" }]);
    expect(shadow().activeElement).toBeNull(); // it does not take the focus
  });

  it("shows the operator's photo, and their initials when it does not load", async () => {
    const socket = await livePage();
    socket.receive(invitation({ operator: { ...OLGA, photo_url: "https://cdn.example/olga.jpg" } }));
    await vi.advanceTimersByTimeAsync(0);
    const img = $("invitation-avatar").querySelector("img")!;
    expect(img.getAttribute("src")).toBe("https://cdn.example/olga.jpg");
    expect(img.getAttribute("alt")).toBe(""); // the name is written next to it
    img.dispatchEvent(new Event("error"));
    expect($("invitation-avatar").textContent).toBe("OP");
  });

  it("shows the photo on file at the gateway (an absolute address, no referrer), and initials for an unsafe one", async () => {
    const socket = await livePage();
    const photo = "http://127.0.0.1:8000/photos/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MDEy";
    socket.receive(invitation({ operator: { ...OLGA, photo_url: photo } }));
    await vi.advanceTimersByTimeAsync(0);
    const img = $("invitation-avatar").querySelector("img")!;
    expect(img.getAttribute("src")).toBe(photo);
    expect(img.getAttribute("referrerpolicy")).toBe("no-referrer");
    socket.receive(invitation({ invitation_id: "i2", operator: { ...OLGA, photo_url: "javascript:alert(1)" } }));
    await vi.advanceTimersByTimeAsync(0);
    expect($("invitation-avatar").querySelector("img")).toBeNull();
    expect($("invitation-avatar").textContent).toBe("OP");
  });

  it("is made of real buttons: accept and a labelled close; Escape closes it", async () => {
    const socket = await livePage();
    socket.receive(invitation());
    await vi.advanceTimersByTimeAsync(0);
    expect(bubble().getAttribute("role")).toBe("dialog");
    expect(bubble().getAttribute("aria-labelledby")).toBe("fw-invitation-name");
    const [accept, close] = [$<HTMLButtonElement>("invitation-accept"), $<HTMLButtonElement>("invitation-close")];
    expect([accept.tagName, accept.type, accept.textContent]).toEqual(["BUTTON", "button", "Chat now"]);
    expect([close.tagName, close.type, close.getAttribute("aria-label")]).toEqual(["BUTTON", "button", "Close the invitation"]);
    accept.focus();
    accept.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(shown()).toBe(false);
    expect(socket.framesOfType("invitation.close")).toEqual([{ type: "invitation.close", invitation_id: "i1" }]);
  });

  it("accepts: opens the chat on the conversation the invitation started", async () => {
    const socket = await livePage();
    const { mounted } = stubChat();
    socket.receive(invitation());
    await vi.advanceTimersByTimeAsync(0);
    $("invitation-accept").click();
    $("invitation-accept").click(); // a second click while waiting sends nothing more
    expect(socket.framesOfType("invitation.accept")).toEqual([{ type: "invitation.accept", invitation_id: "i1" }]);
    expect($("invitation-accept").getAttribute("aria-disabled")).toBe("true");
    socket.receive({ type: "invitation.accepted", invitation_id: "i1", conversation: conversation({ state: "active" }) });
    await settle();
    expect(shown()).toBe(false);
    await settle();
    expect(mounted).toHaveLength(1);
    expect(mounted[0].open).toBe(true);
    expect(mounted[0].channel).toBeDefined(); // the chat uses the same socket
    expect(FakeSocket.all.filter((s) => s.url.endsWith("/ws/visitor"))).toHaveLength(1);
  });

  it("goes away when it was answered in another tab or expired, and shows each invitation once", async () => {
    const socket = await livePage();
    socket.receive(invitation());
    socket.receive(invitation()); // again (a reconnect brings the pending ones)
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.framesOfType("invitation.shown")).toHaveLength(1);
    socket.receive({ type: "invitation.withdrawn", invitation_id: "i1", reason: "closed" });
    expect(shown()).toBe(false);
    socket.receive(invitation({ invitation_id: "i2", delay_s: 5 }));
    socket.receive({ type: "invitation.withdrawn", invitation_id: "i2", reason: "expired" });
    await vi.advanceTimersByTimeAsync(6000);
    expect(shown()).toBe(false); // withdrawn before its delay was over: never shown
    socket.receive(invitation({ invitation_id: "i3", expires_at: new Date(Date.now() - 1000).toISOString() }));
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toBe(false);
    expect(socket.framesOfType("invitation.shown")).toHaveLength(1);
  });

  it("with auto_open opens the chat window on the invitation instead of a bubble", async () => {
    const socket = await livePage();
    const { mounted } = stubChat();
    socket.receive(invitation({ auto_open: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toBe(false);
    await settle();
    expect(mounted[0].open).toBe(true);
    expect(mounted[0].invitation).toMatchObject({ text: "Looking for a laptop? I can help.", operator: OLGA });
    const accepted = mounted[0].invitation!.accept();
    expect(socket.framesOfType("invitation.accept")).toHaveLength(1);
    socket.receive({ type: "invitation.accepted", invitation_id: "i1", conversation: conversation({ id: "c9" }) });
    expect((await accepted)?.id).toBe("c9");
  });

  it("shows nothing to a visitor who is chatting already", async () => {
    localStorage.setItem("fw:conv:site-1", JSON.stringify({ conversation_id: "c1", last_seq: 1, open: true }));
    stubChat(); // the open conversation's chat, mounted at once
    const socket = await livePage();
    socket.receive(invitation());
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toBe(false);
    expect(socket.framesOfType("invitation.shown")).toHaveLength(0);
  });

  it("leaves the host page alone: everything in the shadow root, nothing in the page's layout or styles", async () => {
    const socket = await livePage();
    const before = document.body.children.length;
    socket.receive(invitation());
    await vi.advanceTimersByTimeAsync(0);
    expect(document.body.children.length).toBe(before);
    expect(document.head.querySelector("style")).toBeNull();
    expect(bubble().getRootNode()).toBe(shadow());
    expect(bubble().parentElement!.className).toBe("fw"); // the fixed corner of the widget
  });

  it("loads the chat bundle with the first invitation, keeping the frames that arrive meanwhile", async () => {
    const socket = await livePage(false);
    expect(chatScripts()).toHaveLength(0); // nothing but the loader until an invitation arrives
    expect(shadow().querySelector('[data-fw="invitation"]')).toBeNull();
    socket.receive(invitation());
    socket.receive({ type: "invitation.withdrawn", invitation_id: "i1", reason: "closed" });
    socket.receive(invitation({ invitation_id: "i2", text: "Free delivery today.", delay_s: 2 }));
    expect(chatScripts()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1500); // a slow network
    window.FloorwalkerChat = chatApi;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await vi.advanceTimersByTimeAsync(499);
    expect(shown()).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // its delay counts from when it arrived, not from when the bundle came
    expect(shown()).toBe(true);
    expect($("invitation-text").textContent).toBe("Free delivery today.");
    expect(socket.framesOfType("invitation.shown")).toEqual([{ type: "invitation.shown", invitation_id: "i2" }]);
    expect(chatScripts()).toHaveLength(1);
  });

  it("tries again with the next invitation when the chat bundle did not load", async () => {
    const socket = await livePage(false);
    socket.receive(invitation());
    chatScripts()[0].dispatchEvent(new Event("error"));
    await settle();
    expect(chatScripts()).toHaveLength(0);
    socket.receive(invitation({ invitation_id: "i2" }));
    window.FloorwalkerChat = chatApi;
    chatScripts()[0].dispatchEvent(new Event("load"));
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toBe(true);
  });

  it("makes initials from one or more names", () => {
    expect([initials("Olga Petrova"), initials("ana"), initials("  Jean  Paul  Sartre "), initials("")]).toEqual([
      "OP",
      "A",
      "JS",
      "?",
    ]);
  });
});
