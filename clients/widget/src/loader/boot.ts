/**
 * The loader: finds its script tag, takes over `window.Floorwalker` (the host page's API), opens the
 * visitor session, tracks the visit (page views, time on page, host events; consent and Do-Not-Track
 * permitting), draws the launcher in a shadow root (not for robots) and loads the chat UI lazily.
 * Nothing here may throw into the host page.
 */
import { openSession } from "../shared/session";
import { localStore, readJSON, storageKeys } from "../shared/storage";
import type { ChatHandle, FloorwalkerGlobal, WidgetSession } from "../shared/types";
import { commands, installCommands, type Runner } from "./commands";
import { loadChatUi } from "./lazy";
import { createShell, HOST_ID } from "./shell";
import { createTracker, watchNavigation } from "./tracking";

export const VERSION = "0.1.0";

export function findScript(doc: Document = document): HTMLScriptElement | null {
  const current = doc.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.site && current.src) return current;
  return doc.querySelector<HTMLScriptElement>('script[data-site][src*="widget.js"]');
}

/** Starts the widget once per page; later calls (a second copy of the snippet) do nothing. */
export function boot(): void {
  try {
    if (window.__floorwalker || document.getElementById(HOST_ID)) return;
    const script = findScript();
    const siteKey = script && script.dataset.site;
    if (!script || !siteKey) return;
    const baseUrl = new URL(script.src, location.href).origin;
    const state: FloorwalkerGlobal = { siteKey, baseUrl, ready: Promise.resolve(), open: () => undefined, close: () => undefined };
    window.__floorwalker = state;
    const ready = installCommands();
    state.ready = start(state, ready).catch(() => ready(null));
  } catch {
    /* never break the host page */
  }
}

async function start(state: FloorwalkerGlobal, ready: (runner: Runner | null) => void): Promise<void> {
  const { baseUrl, siteKey } = state;
  const session = await openSession(baseUrl, siteKey);
  if (!session) return ready(null); // unknown site, origin not allowed, gateway down: stay invisible
  const tracker = createTracker(baseUrl, session.visitor_token, session.tracking);
  tracker.view();
  watchNavigation(tracker.view);
  await bodyReady();
  if (!session.robot) showWidget(state, session); // a robot gets no chat
  ready(commands(state, session.visitor_token, tracker));
}

function showWidget(state: FloorwalkerGlobal, session: WidgetSession): void {
  const { baseUrl, siteKey } = state;
  const shell = createShell(session.site.widget || {});
  let handle: ChatHandle | null = null;
  let loading = false;
  let closeWhenMounted = false;

  const mountChat = (open?: boolean) => {
    closeWhenMounted = false;
    if (handle) {
      if (open) handle.open();
      return;
    }
    if (loading) return;
    loading = true;
    loadChatUi(baseUrl)
      .then((chat) => {
        handle = chat.mount(shell.chatBox, {
          baseUrl,
          siteKey,
          visitorToken: session.visitor_token,
          expiresIn: session.expires_in,
          site: session.site,
          open,
          onState: shell.showState,
        });
        if (closeWhenMounted) handle.minimise();
      })
      .catch(() => undefined)
      .then(() => {
        loading = false;
      });
  };

  shell.launcher.addEventListener("click", () => {
    try {
      if (handle) handle.toggle();
      else mountChat(true);
    } catch {
      /* keep the host page alive */
    }
  });
  state.open = () => mountChat(true);
  state.close = () => {
    if (handle) handle.minimise();
    else closeWhenMounted = loading;
  };

  const saved = readJSON<{ open?: boolean }>(localStore(), storageKeys.conversation(siteKey));
  if (saved && saved.open) mountChat(undefined);
}

function bodyReady(): Promise<void> {
  if (document.body) return Promise.resolve();
  return new Promise((resolve) => document.addEventListener("DOMContentLoaded", () => resolve(), { once: true }));
}
