/**
 * Wires the REST client, the operator socket and the store together: the console's behaviour without
 * any React in it. The UI reads the store and calls the actions below.
 */

import { ApiError, type ApiClient } from "../api/client";
import * as endpoints from "../api/endpoints";
import { editMessage, retractMessage } from "../api/messageEdits";
import { OperatorSocket, operatorSocketUrl, type OperatorSocketOptions, type SocketEvent } from "../realtime/socket";
import { ConversationSignals } from "../realtime/typing";
import { readMarks } from "../api/readMarks";
import { hasRole } from "../lib/board";
import { MAX_MESSAGE_BYTES, utf8Bytes } from "../lib/time";
import { attentionCount, conversationsWithGap, createStore, type Store } from "../state/store";
import type { ServerFrame } from "../types";
import { browserNotifier, type Notifier } from "./notify";
import { isTeamFrame, TeamController } from "./team";

export interface ControllerOptions {
  api: ApiClient;
  notifier?: Notifier;
  socket?: Partial<OperatorSocketOptions>;
  win?: Window;
  doc?: Document;
}

function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

export class ConsoleController {
  readonly store: Store;
  readonly socket: OperatorSocket;
  /** Presence, queues, highlights and hand-overs (CHAT-6, OPS-7). */
  readonly team: TeamController;
  /** Typing indicators, sneak-peek and read marks (CHAT-4, EMB-8: `realtime/typing.ts`). */
  readonly signals: ConversationSignals;
  private readonly api: ApiClient;
  private readonly notifier: Notifier;
  private readonly win: Window | undefined;
  private readonly doc: Document | undefined;
  private cleanups: Array<() => void> = [];
  private loading = new Map<string, Promise<void>>();

  constructor(options: ControllerOptions) {
    this.api = options.api;
    this.win = options.win ?? (typeof window === "undefined" ? undefined : window);
    this.doc = options.doc ?? (typeof document === "undefined" ? undefined : document);
    this.notifier = options.notifier ?? browserNotifier(this.doc);
    this.store = createStore();
    this.team = new TeamController({
      api: this.api,
      store: this.store,
      notifier: this.notifier,
      userId: () => this.userId,
      select: (id) => this.select(id),
    });
    this.socket = new OperatorSocket({
      url: () => operatorSocketUrl(),
      // refused or expired (close 1008): a new access token from the refresh token
      token: async (renew) => (renew ? (await this.api.refresh()).accessToken : this.api.freshToken()),
      resumePoints: () => {
        const { loaded, complete } = this.store.getState();
        return Object.keys(loaded).map((id) => ({ conversation_id: id, after_seq: complete[id] ?? 0 }));
      },
      ...options.socket,
    });
    this.signals = new ConversationSignals((frame) => this.socket.signal(frame));
  }

  get userId(): string {
    return this.api.session?.user.id ?? "";
  }

  start(): void {
    if (this.cleanups.length > 0) return;
    this.cleanups.push(
      this.socket.on((event) => this.onSocket(event)),
      this.api.onSession((session, reason) => {
        if (reason === "refresh" && session) this.socket.refreshToken(session.accessToken);
        if (reason === "logout") this.stop();
      }),
      this.store.subscribe(() => this.notifier.title(attentionCount(this.store.getState()))),
      this.store.subscribe(() => this.markSeen()),
      () => this.signals.dispose(),
    );
    if (this.win && this.doc) {
      const doc = this.doc;
      const onVisibility = () =>
        this.store.dispatch({ type: "attention", attentive: doc.visibilityState !== "hidden" });
      doc.addEventListener("visibilitychange", onVisibility);
      onVisibility();
      this.cleanups.push(() => doc.removeEventListener("visibilitychange", onVisibility));
      this.cleanups.push(this.socket.watch(this.win, doc));
    }
    this.notifier.title(attentionCount(this.store.getState()));
    this.socket.start();
    void this.reload();
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.socket.stop();
  }

  /** Fetch the conversation lists and live visitors (at start and after every (re)connect). */
  async reload(): Promise<void> {
    const { dispatch } = this.store;
    const { selectedId: selected, rev: since } = this.store.getState();
    const results = await Promise.allSettled([
      endpoints
        .listConversations(this.api, "waiting")
        .then((conversations) => dispatch({ type: "conversations.loaded", state: "waiting", conversations, since })),
      endpoints
        .listConversations(this.api, "active")
        .then((conversations) => dispatch({ type: "conversations.loaded", state: "active", conversations, since })),
      endpoints
        .liveVisitors(this.api)
        .then(({ visitors, geo }) => dispatch({ type: "visitors.loaded", visitors, geo, since })),
      selected
        ? endpoints
            .getConversation(this.api, selected)
            .then((conversation) => dispatch({ type: "conversation.upserted", conversation }))
        : Promise.resolve(),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed && this.api.session) this.notice(`Could not refresh the lists: ${describe(failed.reason)}`);
  }

  /** Open a conversation in the chat view, loading its whole history once (CHAT-3). */
  select(conversationId: string | null): Promise<void> {
    this.store.dispatch({ type: "selected", conversationId });
    if (!conversationId) return Promise.resolve();
    return this.loadHistory(conversationId);
  }

  loadHistory(conversationId: string): Promise<void> {
    if (this.store.getState().loaded[conversationId]) return Promise.resolve();
    const inFlight = this.loading.get(conversationId);
    if (inFlight) return inFlight;
    const load = endpoints
      .listMessages(this.api, conversationId, 0)
      .then((messages) => {
        this.store.dispatch({ type: "messages.loaded", conversationId, messages });
        // our own messages among them are stored: not pending any more, whatever the socket says
        this.socket.settle(messages.flatMap((m) => (m.client_msg_id ? [m.client_msg_id] : [])));
        this.fillGaps();
        void this.loadMarks(conversationId);
      })
      .catch((error: unknown) => this.notice(`Could not load the messages: ${describe(error)}`))
      .finally(() => this.loading.delete(conversationId));
    this.loading.set(conversationId, load);
    return load;
  }

  async accept(conversationId: string): Promise<void> {
    try {
      const conversation = await endpoints.acceptConversation(this.api, conversationId);
      this.store.dispatch({ type: "conversation.upserted", conversation });
      await this.select(conversationId);
    } catch (error) {
      this.notice(
        error instanceof ApiError && error.code === "conversation_not_waiting"
          ? "Another operator already took this conversation."
          : `Could not accept: ${describe(error)}`,
      );
      await endpoints
        .getConversation(this.api, conversationId)
        .then((conversation) => this.store.dispatch({ type: "conversation.upserted", conversation }))
        .catch(() => {});
    }
  }

  async close(conversationId: string): Promise<void> {
    try {
      const conversation = await endpoints.closeConversation(this.api, conversationId);
      this.store.dispatch({ type: "conversation.upserted", conversation });
    } catch (error) {
      this.notice(`Could not close: ${describe(error)}`);
    }
  }

  /** Edit (text) or retract (null) an operator's message (CHAT-5); shown at once, the frame follows. */
  async changeMessage(conversationId: string, messageId: string, text: string | null): Promise<boolean> {
    try {
      const message =
        text === null
          ? await retractMessage(this.api, conversationId, messageId)
          : await editMessage(this.api, conversationId, messageId, text);
      this.store.dispatch({ type: "message.updated", message });
      return true;
    } catch (error) {
      this.notice(`Could not ${text === null ? "delete" : "edit"} the message: ${describe(error)}`);
      return false;
    }
  }

  /** Send a message in the selected conversation (quoting `quoteSeq`); false when it was refused before sending. */
  send(text: string, quoteSeq?: number): boolean {
    const conversationId = this.store.getState().selectedId;
    const body = text.trim();
    if (!conversationId || !body) return false;
    if (utf8Bytes(body) > MAX_MESSAGE_BYTES) {
      this.notice(`A message may have at most ${MAX_MESSAGE_BYTES} bytes.`);
      return false;
    }
    this.socket.send(conversationId, body, quoteSeq);
    this.signals.sent(conversationId);
    return true;
  }

  /** The composer of the selected conversation changed: a throttled typing signal, if the visitor hears this user. */
  typed(text: string): void {
    const conversation = this.current();
    if (conversation && conversation.state === "active" && hasRole(conversation, this.userId, ["assigned", "invited"])) {
      this.signals.typed(conversation.id, text);
    }
  }

  private current() {
    const { selectedId, conversations } = this.store.getState();
    return selectedId ? conversations[selectedId] : undefined;
  }

  /** The chat in front of its operator (selected, tab visible): their read mark moves to its last message. */
  private markSeen(): void {
    const state = this.store.getState();
    const conversation = this.current();
    if (!state.attentive || !conversation || conversation.state === "closed") return;
    if (!hasRole(conversation, this.userId, ["assigned", "invited"])) return; // a watcher's reading tells nobody
    const messages = state.messages[conversation.id];
    const last = messages?.length ? messages[messages.length - 1].seq : 0;
    if (last > 0) this.signals.markRead(conversation.id, last);
  }

  /** How far the visitor read, with the history loaded over REST (the socket brings the changes after). */
  private async loadMarks(conversationId: string): Promise<void> {
    try {
      for (const mark of await readMarks(this.api, conversationId)) {
        this.signals.onRead({ type: "conversation.read", conversation_id: conversationId, ...mark });
      }
    } catch {
      /* shown without marks; the next `conversation.read` frame brings them */
    }
  }

  retry(clientMsgId: string): void {
    this.socket.retry(clientMsgId);
  }

  discard(clientMsgId: string): void {
    this.socket.discard(clientMsgId);
  }

  /** Calls a visitor: an invitation with the operator's message (or the open chat window, `autoOpen`). */
  async invite(visitorId: string, text: string, autoOpen: boolean): Promise<boolean> {
    try {
      const sent = await endpoints.inviteVisitor(this.api, visitorId, text.trim() || null, autoOpen);
      this.store.dispatch({
        type: "invitation.noted",
        invitation: {
          invitation_id: sent.invitation_id,
          visitor_id: visitorId,
          rule_id: null,
          variant: null,
          operator_id: this.userId,
          state: "offered",
          conversation_id: null,
        },
      });
      return true;
    } catch (error) {
      this.notice(`The visitor could not be called: ${describe(error)}`);
      return false;
    }
  }

  dismissNotice(): void {
    this.store.dispatch({ type: "notice", notice: null });
  }

  private notice(text: string): void {
    this.store.dispatch({ type: "notice", notice: text });
  }

  private onSocket(event: SocketEvent): void {
    const { dispatch } = this.store;
    switch (event.type) {
      case "status":
        dispatch({ type: "connection", status: event.status });
        break;
      case "outbox":
        dispatch({ type: "pending.changed", pending: event.pending });
        break;
      case "open":
        void this.reload();
        break;
      case "frame":
        this.onFrame(event.frame);
        this.fillGaps();
        break;
      case "resume.lost":
        this.fillGaps();
        break;
    }
  }

  /** A frame skipped a seq: ask for the missing range now (one resume per conversation at a time). */
  private fillGaps(): void {
    const state = this.store.getState();
    for (const id of conversationsWithGap(state)) this.socket.resume(id, state.complete[id] ?? 0);
  }

  private onFrame(frame: ServerFrame): void {
    const { dispatch, getState } = this.store;
    const state = getState();
    switch (frame.type) {
      case "message.created": {
        const { message } = frame;
        const known = (state.messages[message.conversation_id] ?? []).some(
          (m) => m.id === message.id || m.seq === message.seq,
        );
        const watching = state.attentive && state.selectedId === message.conversation_id;
        if (!known && message.sender_type === "visitor" && !watching) {
          this.notifier.beep();
          this.notifier.notify?.({ kind: "message", body: message.text ?? "", tag: message.conversation_id });
        }
        if (message.sender_type === "visitor") this.signals.visitorMessage(message.conversation_id);
        dispatch({ type: "messages.received", messages: [message] });
        break;
      }
      case "conversation.typing": // the visitor types, with their draft where the site allows it (CHAT-4)
        this.signals.onTyping(frame);
        break;
      case "conversation.read": // EMB-8: also sent again with every resume
        this.signals.onRead(frame);
        break;
      case "message.ack":
        dispatch({ type: "messages.received", messages: [frame.message] });
        break;
      case "message.updated": // edited or retracted (CHAT-5)
        dispatch({ type: "message.updated", message: frame.message });
        break;
      case "resume.done":
        dispatch({ type: "messages.complete", conversationId: frame.conversation_id, lastSeq: frame.last_seq });
        break;
      case "resync":
        // the socket resumes every loaded conversation; the lists may have missed changes too
        void this.reload();
        break;
      case "conversation.updated": {
        const before = state.conversations[frame.conversation.id];
        if (frame.conversation.state === "waiting" && before?.state !== "waiting") {
          this.notifier.beep();
          this.notifier.notify?.({ kind: "chat", body: "A visitor is waiting for an answer.", tag: frame.conversation.id });
        }
        // sent back to its queue (a transfer): the only move backwards
        const back = before?.state === "active" && frame.conversation.state === "waiting";
        dispatch({ type: back ? "conversation.moved" : "conversation.upserted", conversation: frame.conversation });
        break;
      }
      case "conversation.offered": // routing offers it to one operator: that one hears it
        if (frame.user_id === this.userId) this.notifier.beep();
        dispatch({ type: "conversation.upserted", conversation: frame.conversation });
        break;
      case "conversation.removed":
        dispatch({ type: "conversation.removed", conversationId: frame.conversation_id });
        break;
      case "visitor.updated":
        dispatch({ type: "visitor.updated", visitor: frame.visitor });
        break;
      case "visitor.moves":
        for (const move of frame.moves) dispatch({ type: "visitor.moved", move });
        break;
      case "visitor.left":
        dispatch({ type: "visitor.left", visitorId: frame.visitor_id });
        break;
      case "invitation.state": {
        const { type: _type, ...invitation } = frame;
        dispatch({ type: "invitation.noted", invitation });
        // the visitor took my call: their chat opens here
        if (invitation.state === "accepted" && invitation.conversation_id && invitation.operator_id === this.userId) {
          void this.select(invitation.conversation_id);
        }
        break;
      }
      case "error":
        if (!frame.client_msg_id) this.notice(frame.message);
        break;
      default:
        if (isTeamFrame(frame)) this.team.onFrame(frame);
        break;
    }
  }
}
