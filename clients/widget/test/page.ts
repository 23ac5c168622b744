/**
 * A host page for loader tests: the embed snippet, a fake gateway, and a fresh page between tests (the
 * loader's globals, history hooks and window/document listeners removed; storage and cookies kept).
 */
import { vi } from "vitest";
import { chatApi } from "../src/chat/bundle";
import { boot } from "../src/loader/boot";
import { resetChatUiLoader } from "../src/loader/lazy";
import type { FloorwalkerChatApi, PublicSite, TrackingSettings } from "../src/shared/types";
import { type Call, FakeSocket, fakeFetch } from "./helpers";

export const site: PublicSite = { id: "s1", name: "Shop", widget: { color: "#10b981", position: "right", title: "Ask us", greeting: "Hi" } };
export const START_URL = "https://shop.example/products/tv?ref=ad";

type Answer = { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;

export interface GatewayOptions {
  sessionStatus?: number;
  site?: PublicSite;
  tracking?: TrackingSettings;
  robot?: boolean;
  /** The session's `button_paths` (passive mode); absent: not sent. */
  buttonPaths?: string[] | null;
  /** How /track/events answers (default 202). */
  track?: (call: Call) => Answer;
  consent?: (call: Call) => Answer;
  identify?: (call: Call) => Answer;
}

export function gateway(options: GatewayOptions = {}) {
  let issued = 0;
  const server = fakeFetch({
    "POST /api/v1/widget/session": () =>
      options.sessionStatus
        ? { status: options.sessionStatus, body: { error: { code: "origin_not_allowed" } } }
        : {
            status: 200,
            body: {
              visitor_token: `tok-${++issued}`,
              visitor_id: "v1",
              expires_in: 31536000,
              site: options.site ?? site,
              ...(options.tracking ? { tracking: options.tracking } : {}),
              ...(options.robot !== undefined ? { robot: options.robot } : {}),
              ...(options.buttonPaths !== undefined ? { button_paths: options.buttonPaths } : {}),
            },
          },
    "POST /api/v1/track/events": (call) =>
      options.track ? options.track(call) : { status: 202, body: { accepted: (call.body as { events: unknown[] }).events.length } },
    "POST /api/v1/widget/consent": (call) => (options.consent ? options.consent(call) : { status: 200, body: { consent: (call.body as { granted: boolean }).granted, visitor_token: `tok-consent-${(call.body as { granted: boolean }).granted}` } }),
    "POST /api/v1/widget/identify": (call) => (options.identify ? options.identify(call) : { status: 200, body: { contact_id: "ct1", verified: true } }),
  });
  return {
    ...server,
    /** The events of each track request, in order. */
    batches: () => server.calls.filter((c) => c.url.includes("/api/v1/track/events")).map((c) => (c.body as { events: TrackedEvent[] }).events),
    /** Every tracked event, in order. */
    events: () => server.calls.filter((c) => c.url.includes("/api/v1/track/events")).flatMap((c) => (c.body as { events: TrackedEvent[] }).events),
  };
}

export type TrackedEvent = { type: string; page_id?: string; url?: string; title?: string; referrer?: string; visible_seconds?: number; at?: string } & Record<string, unknown>;

export function embed(src = "https://gw.example/widget.js", key = "site-1"): HTMLScriptElement {
  const script = document.createElement("script");
  script.src = src;
  script.async = true;
  script.dataset.site = key;
  document.body.appendChild(script);
  return script;
}

const originalPush = history.pushState;
const originalReplace = history.replaceState;
const added: Array<[EventTarget, string, EventListenerOrEventListenerObject, boolean | AddEventListenerOptions | undefined]> = [];

const targets: EventTarget[] = [window, document];
const ownAdd = targets.map((target) => Object.getOwnPropertyDescriptor(target, "addEventListener"));

/** Records the listeners the loader adds to window and document, so that newPage() can remove them. */
export function recordListeners(): void {
  for (const target of targets) {
    const original = target.addEventListener;
    (target as { addEventListener: unknown }).addEventListener = function (
      this: EventTarget,
      type: string,
      listener: EventListenerOrEventListenerObject,
      options?: boolean | AddEventListenerOptions,
    ) {
      added.push([target, type, listener, options]);
      original.call(target, type, listener, options);
    };
  }
}

/** Puts back the addEventListener that recordListeners() replaced. */
export function forgetListenerRecording(): void {
  targets.forEach((target, i) => {
    const own = ownAdd[i];
    if (own) Object.defineProperty(target, "addEventListener", own);
    else delete (target as { addEventListener?: unknown }).addEventListener;
  });
}

let serving: MutationObserver | null = null;

/**
 * Serves widget-chat.js: a chat script the loader injects "loads" (defines `window.FloorwalkerChat` as the real
 * bundle does, unless a test put its own there) a moment later. Until the next newPage().
 */
export function serveChatBundle(api: FloorwalkerChatApi = chatApi): void {
  serving?.disconnect();
  serving = new MutationObserver(() => {
    for (const script of document.querySelectorAll<HTMLScriptElement>('script[src$="/widget-chat.js"]:not([data-served])')) {
      script.dataset.served = "";
      window.FloorwalkerChat = window.FloorwalkerChat || api;
      script.dispatchEvent(new Event("load"));
    }
  });
  serving.observe(document.head, { childList: true });
}

/** A new page view of the same site: the page's globals and listeners are gone, storage and cookies stay. */
export function newPage(): void {
  serving?.disconnect();
  serving = null;
  delete window.__floorwalker;
  delete window.FloorwalkerChat;
  delete window.Floorwalker;
  resetChatUiLoader();
  history.pushState = originalPush;
  history.replaceState = originalReplace;
  history.replaceState(null, "", START_URL);
  document.title = "";
  for (const [target, type, listener, options] of added.splice(0)) target.removeEventListener(type, listener, options);
  document.head.innerHTML = "";
  document.body.innerHTML = "";
  FakeSocket.all = [];
}

export type Gateway = ReturnType<typeof gateway>;

export async function load(server: Gateway = gateway()): Promise<Gateway> {
  vi.stubGlobal("fetch", server.fetch);
  vi.stubGlobal("WebSocket", FakeSocket); // the loader's live socket: scripted, never a real connection
  embed();
  boot();
  await window.__floorwalker?.ready;
  return server;
}

/** Sets document.visibilityState and fires visibilitychange. */
export function setVisibility(state: "visible" | "hidden"): void {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
  document.dispatchEvent(new Event("visibilitychange"));
}

export function resetVisibility(): void {
  delete (document as { visibilityState?: unknown }).visibilityState;
}

/** Reads a Blob (jsdom's Blob has no text()). */
export function blobText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = reject;
    reader.readAsText(blob);
  });
}
