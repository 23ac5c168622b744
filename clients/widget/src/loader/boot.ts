/**
 * The loader: finds its script tag, takes over `window.Floorwalker` (the host page's API), opens the
 * visitor session, tracks the visit (page views, time on page, host events; consent and Do-Not-Track
 * permitting), draws the launcher in a shadow root (not for robots) and loads the chat UI lazily.
 * Once a page view is recorded it keeps the tab's one live socket (`channel`): invitations and operators'
 * calls arrive on it (the first one loads the chat bundle, which shows them), and the chat uses it too.
 * Nothing here may throw into the host page.
 */
import { openSession, type Refusal } from "../shared/session";
import { localStore, readJSON, storageKey } from "../shared/storage";
import type { ChannelFrame, ChatHandle, FloorwalkerGlobal, OpenedInvitation, VisitorChannel, WidgetSession } from "../shared/types";
import { createChannel } from "./channel";
import { commands, installCommands, type Runner } from "./commands";
import { loadChatUi } from "./lazy";
import { createShell, HOST_ID } from "./shell";
import { createTracker, watchNavigation } from "./tracking";

export const VERSION = "0.1.0";
/** Invitation frames kept while the chat bundle loads. */
const MAX_EARLY_FRAMES = 50;
export const ROBOT_TEXT = "Floorwalker: this browser was taken for a robot, so the chat widget is not shown.";

/** The one warning the host page's console gets when the gateway gives no session. */
export function refusalText(why: Refusal, baseUrl: string, siteKey: string): string {
  const notAllowed = `${location.origin} is not an allowed origin of site ${siteKey}`;
  return `Floorwalker: the chat widget is not shown: ${
    why.code === "origin_not_allowed"
      ? `${notAllowed}. Add it to the site's allowed origins in the console.`
      : why.status
        ? `the gateway refused site ${siteKey} (${why.status} ${why.code})${why.message ? `: ${why.message}` : "."}`
        : `${baseUrl} could not be reached, or ${notAllowed}.`
  }`;
}

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
  const session = await openSession(baseUrl, siteKey, (why) => console.warn(refusalText(why, baseUrl, siteKey)));
  if (!session) return ready(null); // unknown site, origin not allowed, gateway down: stay invisible
  if (session.robot) console.warn(ROBOT_TEXT);
  // A robot gets no chat, and no socket: nothing is ever offered to it.
  const channel = session.robot
    ? null
    : createChannel({ baseUrl, siteKey, token: session.visitor_token, expiresIn: session.expires_in });
  const tracker = createTracker(baseUrl, session.visitor_token, session.tracking, () => channel?.start());
  let place = () => {}; // passive mode: the launcher shown or hidden on this page
  tracker.view();
  watchNavigation(() => {
    tracker.view();
    place();
  });
  await bodyReady();
  if (channel) place = showWidget(state, session, channel);
  ready(commands(state, session.visitor_token, tracker, () => loadChatUi(baseUrl)));
}

/** Draws the launcher; returns what shows or hides it on the current page (passive mode: `button_paths`). */
function showWidget(state: FloorwalkerGlobal, session: WidgetSession, channel: VisitorChannel): () => void {
  const { baseUrl, siteKey } = state;
  const { site } = session;
  const shell = createShell(site.widget || {}, site.language, site.launcher_title);
  let handle: ChatHandle | null = null;
  let loading = false;
  let closeWhenMounted = false;
  let invited: OpenedInvitation | undefined; // an invitation that opens the window once it is mounted
  let lookUp = false; // look for the open conversation even without a saved one

  const mountChat = (open?: boolean, invitation?: OpenedInvitation) => {
    closeWhenMounted = false;
    if (handle) {
      if (invitation) handle.invite?.(invitation);
      if (open) handle.open();
      return;
    }
    invited = invitation || invited;
    if (loading) return;
    loading = true;
    channel.start(); // the chat's socket: the tab's one (a visitor whose page views are not tracked too)
    loadChatUi(baseUrl)
      .then((chat) => {
        handle = chat.mount(shell.chatBox, {
          baseUrl,
          siteKey,
          visitorToken: channel.token(),
          expiresIn: session.expires_in,
          site: session.site,
          open,
          launcher: shell.launcher,
          channel,
          invitation: invited,
          onlySaved: !lookUp,
        });
        invited = undefined;
        if (closeWhenMounted) handle.minimise();
      })
      .catch(() => undefined)
      .then(() => {
        loading = false;
        place();
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

  const chatting = () => !!readJSON<{ open?: boolean }>(localStore(), storageKey("conv", siteKey))?.open;
  // Invitations are shown by the chat bundle: the first one loads it; the frames received meanwhile are kept.
  const early: Array<[ChannelFrame, number]> = [];
  let stopEarly: (() => void) | null = null;
  const handOver = () =>
    loadChatUi(baseUrl)
      .then((chat) => {
        if (!stopEarly || !chat.invitations) return;
        stopEarly();
        stopEarly = null;
        chat.invitations({
          channel,
          root: shell.root,
          frame: shell.frame,
          launcher: shell.launcher,
          frames: early.splice(0),
          chatting,
          openChat: (invitation) => {
            if (!invitation) lookUp = true; // an accepted invitation started a conversation this browser has not saved
            mountChat(true, invitation);
          },
        });
      })
      .catch(() => undefined); // the next invitation tries again
  stopEarly = channel.listen({
    frame(frame) {
      if (!frame.type.startsWith("invitation") || early.length >= MAX_EARLY_FRAMES) return;
      early.push([frame, Date.now()]);
      if (frame.type === "invitation") void handOver();
    },
  });

  // Passive mode: the launcher only on the pages the company chose, unless a chat is on (open or minimised).
  const paths = session.button_paths;
  const place = () => {
    shell.launcher.hidden = !!paths && !handle && !chatting() && !paths.some((p) => new RegExp(p).test(location.pathname));
  };
  place();
  if (chatting()) mountChat(undefined);
  return place;
}

function bodyReady(): Promise<void> {
  if (document.body) return Promise.resolve();
  return new Promise((resolve) => document.addEventListener("DOMContentLoaded", () => resolve(), { once: true }));
}
