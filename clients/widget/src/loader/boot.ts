/**
 * The loader: finds its script tag, opens the visitor session, tracks page views, draws the launcher
 * in a shadow root and loads the chat UI lazily. Nothing here may throw into the host page.
 */
import { openSession } from "../shared/session";
import { localStore, readJSON, storageKeys } from "../shared/storage";
import type { ChatHandle, FloorwalkerGlobal, WidgetSession } from "../shared/types";
import { loadChatUi } from "./lazy";
import { createShell, HOST_ID } from "./shell";
import { pageviewSender, watchNavigation } from "./tracking";

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
    const state: FloorwalkerGlobal = { siteKey, baseUrl, ready: Promise.resolve(), open: () => undefined };
    window.__floorwalker = state;
    state.ready = start(state).catch(() => undefined);
  } catch {
    /* never break the host page */
  }
}

async function start(state: FloorwalkerGlobal): Promise<void> {
  const { baseUrl, siteKey } = state;
  const session = await openSession(baseUrl, siteKey);
  if (!session) return; // unknown site, origin not allowed, gateway down: stay invisible
  const pageview = pageviewSender(baseUrl, session.visitor_token);
  pageview();
  watchNavigation(pageview);
  await bodyReady();
  showWidget(state, session);
}

function showWidget(state: FloorwalkerGlobal, session: WidgetSession): void {
  const { baseUrl, siteKey } = state;
  const shell = createShell(session.site.widget || {});
  let handle: ChatHandle | null = null;
  let loading = false;

  const mountChat = (open?: boolean) => {
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

  const saved = readJSON<{ open?: boolean }>(localStore(), storageKeys.conversation(siteKey));
  if (saved && saved.open) mountChat(undefined);
}

function bodyReady(): Promise<void> {
  if (document.body) return Promise.resolve();
  return new Promise((resolve) => document.addEventListener("DOMContentLoaded", () => resolve(), { once: true }));
}
