/** `FloorwalkerChat.mount(container, options)`: wires the session, the view and the launcher state (`launcher.ts`). */
import { openSession } from "../shared/session";
import { localStore, readString, storageKey, writeString } from "../shared/storage";
import type { ChatHandle, MountOptions } from "../shared/types";
import { ApiError, ChatApi } from "./api";
import { type SocketFactory, visitorSocketUrl } from "./connection";
import { ChatSession } from "./session";
import { createBeep } from "./sound";
import { Topics } from "./topics";
import { createView } from "./view";
import { localize } from "./i18n";
import { createRating } from "./rating";
import { createPrechat } from "./prechat";
import { localizeAttachments, uploadError } from "./attachments";
import { randomId } from "./uuid";
import { launcherState } from "./launcher";

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const REFRESH_EVERY_MS = 60_000;
const TOPICS_EVERY_MS = 30_000;

export interface MountDeps {
  socketFactory?: SocketFactory;
  fetch?: typeof fetch;
}

export function mount(container: HTMLElement, options: MountOptions, deps: MountDeps = {}): ChatHandle {
  const { baseUrl, siteKey, site, channel } = options;
  const storage = localStore();
  const panelKey = storageKey("ui", siteKey);
  const beep = createBeep(site.widget?.sound !== false);
  let token = options.visitorToken;
  let open = options.open ?? readString(storage, panelKey) !== "min";
  let unread = 0;
  let lastRefresh = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  const launcher = options.launcher && launcherState(options.launcher);
  const report = () => {
    const state = { open, unread };
    options.onState?.(state);
    launcher?.show(state);
  };

  /** A new widget session: a fresh visitor token (null when the gateway cannot give one now). */
  const renew = async (): Promise<string | null> => {
    lastRefresh = Date.now();
    const renewed = await openSession(baseUrl, siteKey);
    if (!renewed) return null;
    token = renewed.visitor_token;
    scheduleRefresh(renewed.expires_in);
    return token;
  };
  /** Before the token expires: a fresh one, handed to the live socket with `auth.refresh`. */
  const refreshToken = async () => {
    if (Date.now() - lastRefresh < REFRESH_EVERY_MS) return;
    if (await renew()) session.connection.send({ type: "auth.refresh", token });
  };
  const scheduleRefresh = (expiresIn: number | undefined) => {
    if (refreshTimer) clearTimeout(refreshTimer);
    const wait = (expiresIn || 0) * 900; // at 90% of the lifetime
    refreshTimer = wait > 0 && wait < MAX_TIMER_MS ? setTimeout(() => void refreshToken(), wait) : null;
  };

  const api = new ChatApi(baseUrl, () => (channel ? channel.token() : token), deps.fetch);
  const topics = new Topics(
    () => api.availability(),
    () => render(),
  );
  let topicsAt = -Infinity;
  /** Who can answer, per topic: when mounted and whenever the panel opens (at most every `TOPICS_EVERY_MS`). */
  const refreshTopics = () => {
    if (session.isOpen || Date.now() - topicsAt < TOPICS_EVERY_MS) return;
    topicsAt = Date.now();
    void topics.refresh();
  };
  const session = new ChatSession({
    siteKey,
    onlySaved: options.onlySaved,
    storage,
    api,
    queueId: () => topics.queueId,
    language: () => localized.language, // EMB-11: the conversation's language, as the panel speaks it
    sneakPeek: site.sneak_peek !== false,
    channel,
    socketUrl: () => visitorSocketUrl(baseUrl),
    // refused or expired (close 1008): a new widget session before the next attempt
    socketToken: (refused) => (refused ? renew().then((renewed) => renewed ?? token) : token),
    socketFactory: deps.socketFactory,
    onIncoming: () => {
      beep();
      if (!open) {
        unread += 1;
        report();
      }
    },
  });

  const setOpen = (value: boolean, focus: boolean) => {
    const invitation = session.invitation;
    if (!value && invitation && !session.isOpen) {
      session.invite(null); // minimised without a word: the invitation is declined
      invitation.close();
    }
    open = value;
    if (open) unread = 0;
    if (open) refreshTopics();
    writeString(storage, panelKey, open ? null : "min");
    view.setOpen(open, focus);
    if (open) render();
    report();
  };

  const localized = localize(site); // EMB-11: the texts in the site's (or page's) language, before they are drawn
  localizeAttachments(localized.language);
  const view = createView(container, site, {
    send: (text, quoteSeq) => session.send(text, quoteSeq),
    minimise: () => setOpen(false, false),
    endChat: () => void session.endChat(),
    retry: (clientMsgId) => session.retry(clientMsgId),
    typed: (text) => session.typed(text),
    chooseTopic: (queueId) => topics.choose(queueId),
    offlineMessage: (message) => api.offlineMessage({ ...message, queue_id: topics.queueId }),
    transcript: (email) => api.transcript(session.snapshot().conversation?.id ?? "", email),
    operator: (conversationId) => api.operator(conversationId), // EMB-3: the header's face
    chatToTicket: (email) => api.chatToTicket(session.snapshot().conversation?.id ?? "", email),
    // CHAT-10: a file in the open conversation, shown at once from the upload's answer (its frame follows)
    attach: async (file) => {
      const id = session.isOpen ? session.conversationId : null;
      if (!id) return uploadError("conversation_closed");
      try {
        session.receive(await api.upload(id, file, file.name, randomId()));
        return null;
      } catch (failure) {
        return uploadError(failure instanceof ApiError ? failure.code : "");
      }
    },
    file: (conversationId, attachmentId) => api.file(conversationId, attachmentId),
  }, baseUrl);
  view.panel.lang = localized.language;
  view.panel.dir = localized.dir;
  const rating = createRating(container, (id, score, comment) => api.rate(id, score, comment)); // EMB-10
  view.panel.insertBefore(rating.element, view.panel.querySelector("[data-fw=email-actions]"));
  const prechat = createPrechat(api, localized.language, () => render()); // EMB-5: asked before the first message
  view.panel.insertBefore(prechat.element, view.panel.querySelector("[data-fw=composer]"));
  let reasked = ""; // the failed message that asked the pre-chat form again
  function render(): void {
    const snapshot = session.snapshot();
    view.render({ ...snapshot, topics: topics.state() });
    rating.update(snapshot.conversation, snapshot.messages.length > 0);
    // the server wants the form answered first (the site changed it, or it had not loaded): ask it again
    const refused = snapshot.failed.find((f) => f.error === "prechat_required");
    if (refused && refused.client_msg_id !== reasked) {
      reasked = refused.client_msg_id;
      void prechat.load();
    }
    prechat.render(view.panel, snapshot);
    if (open && document.visibilityState !== "hidden") session.markRead(); // EMB-8: the operator sees it was read
  }
  const unsubscribe = session.subscribe(render);
  if (options.invitation) session.invite(options.invitation);
  render();
  setOpen(open, options.open === true);
  if (!channel) scheduleRefresh(options.expiresIn); // the loader's channel renews the token itself
  session.start().catch(() => undefined);
  void prechat.load();

  return {
    open: () => setOpen(true, true),
    minimise: () => setOpen(false, false),
    toggle: () => setOpen(!open, !open),
    invite: (invitation) => session.invite(invitation),
    destroy: () => {
      if (refreshTimer) clearTimeout(refreshTimer);
      unsubscribe();
      session.destroy();
      rating.destroy();
      view.destroy();
      launcher?.remove();
    },
  };
}
