/**
 * Visitor tracking in the loader: page views (one per distinct URL in a row, single-page-app navigation
 * included), the time each page was actually visible, one exit intent per page view (sent at once, for the
 * rules), and the host's product / search / attributes events, all through the batching sender. Consent and Do-Not-Track decide whether anything leaves the page.
 */
import type { TrackingSettings } from "../shared/types";
import { watchExitIntent } from "./exit_intent";
import { createSender, type TrackEvent } from "./sender";

/** Lets an SPA router set the new document title before the page view is sent. */
export const NAVIGATION_DELAY_MS = 50;
/** Without user activity this long, the page's engagement ends (and the server's visit too). */
export const IDLE_MS = 30 * 60_000;
export const MAX_URL = 2048;
export const MAX_TITLE = 512;
/** Events kept in memory while the site waits for the visitor's consent (those of the current page only). */
const MAX_HELD = 50;
const ACTIVITY = ["mousemove", "keydown", "scroll", "touchstart", "click"];

/** A string cut to `max` UTF-16 units without leaving half a surrogate pair; undefined when empty or not a string. */
export const cut = (value: unknown, max: number): string | undefined =>
  typeof value === "string" && value ? value.slice(0, max).replace(/[\ud800-\udbff]$/, "") : undefined;

/** An absolute http(s) URL of at most 2048 characters, else undefined (never cut: a cut URL is a wrong URL). */
export const httpUrl = (value: unknown): string | undefined =>
  typeof value === "string" && value.length <= MAX_URL && /^https?:\/\/[^/]/i.test(value) ? value : undefined;

/** A page view's id: 32 random hex digits (a UUID's 128 bits; getRandomValues also works on http pages). */
export const pageId = (): string =>
  Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16).padStart(8, "0")).join("");

export function doNotTrack(): boolean {
  return navigator.doNotTrack === "1" || (window as { doNotTrack?: string }).doNotTrack === "1";
}

/** Tracking modes. HELD: consent required and not given yet, the current page's events wait in memory. */
const OFF = 0;
const HELD = 1;
const ON = 2;

export interface Tracker {
  /** A page view for the current URL when it differs from the last one (first load, SPA navigation). */
  view(): void;
  /** A product or search event (tied to the current page view) or an attributes event. */
  track(event: TrackEvent): void;
  /**
   * Consent given (starts tracking, the current page view is sent) or withdrawn (stops, drops the queue).
   * `token` is the visitor token the gateway gave back with the consent: events are sent with it from now on.
   */
  allow(granted: boolean, token?: string): void;
}

/** `recorded`: called when the gateway accepted a batch with a page view (the visitor is on the live list). */
export function createTracker(baseUrl: string, token: string, settings?: TrackingSettings, recorded?: () => void): Tracker {
  const sender = createSender(`${baseUrl}/api/v1/track/events`, token, recorded);
  // an older gateway without `tracking`: track as before
  const locked = !!settings && (!settings.enabled || (settings.honor_dnt && doNotTrack()));
  let mode = locked ? OFF : settings && settings.consent_required && !settings.consent ? HELD : ON;
  let held: TrackEvent[] = [];
  // the current page: its page view (null when its URL cannot be sent), visible milliseconds counted so far,
  // since when it is visible (0 while hidden), the largest visible_seconds sent, whether it ended
  let view: TrackEvent | null = null;
  let ms = 0;
  let since = 0;
  let sent = -1;
  let ended = true;
  let exited = false; // this page view's exit intent was sent
  let lastUrl = "";
  let lastActivity = Date.now();
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const visible = () => document.visibilityState === "visible";

  const emit = (event: TrackEvent) => {
    event.at = event.at || new Date().toISOString();
    if (mode === ON) sender.push(event);
    else if (mode === HELD && held.length < MAX_HELD) held.push(event);
  };

  const pause = (at = Date.now()) => {
    if (since) ms += Math.max(0, at - since);
    since = 0;
  };

  /** Sends the page's visible seconds so far, when more than what was already sent. */
  const engagement = () => {
    const seconds = Math.min(86_400, Math.round((ms + (since && Date.now() - since)) / 1000));
    if (view && seconds > sent) emit({ type: "engagement", page_id: view.page_id, visible_seconds: (sent = seconds) });
  };

  /** The current page ends: its clock stops (at `at`) and its engagement is sent. */
  const end = (at?: number) => {
    if (ended) return;
    pause(at);
    ended = true;
    engagement();
  };

  const idleCheck = () => {
    const left = lastActivity + IDLE_MS - Date.now();
    if (left > 0) idleTimer = setTimeout(idleCheck, left);
    else end(lastActivity); // the visible time after the last activity is not time spent on the page
  };

  const start = (referrer: string) => {
    end();
    held = []; // only the current page waits for consent
    const url = (lastUrl = location.href);
    ms = 0;
    sent = -1;
    ended = exited = false;
    since = visible() ? Date.now() : 0;
    view = httpUrl(url)
      ? { type: "pageview", page_id: pageId(), url, title: cut(document.title, MAX_TITLE), referrer: httpUrl(referrer) }
      : null;
    if (view) emit(view);
    lastActivity = Date.now();
    clearTimeout(idleTimer);
    idleTimer = setTimeout(idleCheck, IDLE_MS);
  };

  /** User activity; after 30 minutes without any, the visitor is back: a new page view of the same page. */
  const active = () => {
    const previous = lastActivity;
    lastActivity = Date.now();
    if (lastUrl && lastActivity - previous >= IDLE_MS) {
      end(previous);
      start("");
    }
  };

  watchExitIntent(() => {
    if (!view || exited) return;
    exited = true;
    emit({ type: "exit_intent", page_id: view.page_id });
    sender.flush(); // the rules may still catch the visitor
  });
  for (const type of ACTIVITY) window.addEventListener(type, active, { capture: true, passive: true });
  document.addEventListener("visibilitychange", () => {
    if (visible()) {
      if (!ended && !since) since = Date.now();
      active();
    } else {
      pause();
      engagement(); // hidden may be the last moment a mobile page gets: the largest value sent wins
      sender.beacon();
    }
  });
  window.addEventListener("pagehide", () => {
    end();
    sender.beacon();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && ended) start(""); // back from the back/forward cache: a new page view
  });

  return {
    view() {
      if (location.href !== lastUrl) start(lastUrl || document.referrer);
    },
    track(event) {
      if (event.type !== "attributes" && view) event.page_id = view.page_id;
      emit(event);
    },
    allow(granted, newToken) {
      if (newToken) sender.use(newToken);
      if (locked || (granted && mode === ON)) return;
      const events = held.length ? held : view ? [view] : [];
      held = [];
      sender.clear();
      mode = granted ? ON : OFF;
      if (!granted) return;
      for (const event of events) sender.push(event);
      sender.flush();
    },
  };
}

/** Calls `onNavigate` shortly after history.pushState / replaceState and on popstate. */
export function watchNavigation(onNavigate: () => void): void {
  const later = () => {
    setTimeout(() => {
      try {
        onNavigate();
      } catch {
        /* never break the host's router */
      }
    }, NAVIGATION_DELAY_MS);
  };
  for (const name of ["pushState", "replaceState"] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      later();
      return result;
    };
  }
  window.addEventListener("popstate", later);
}
