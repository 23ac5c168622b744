/**
 * The chat's logic without the DOM: finds or starts the conversation, keeps the socket, sends messages
 * through the persisted pending queue (same client_msg_id on every retry), merges what the server
 * says by seq, and heals itself: on every (re)connect and on a `resync` frame it resumes after the highest
 * *contiguous* seq it holds, and a frame that skips a seq fetches the missing range at once.
 */
import type { KeyValueStorage } from "../shared/storage";
import type { Conversation, Message, OpenedInvitation, PositionFrame, VisitorChannel } from "../shared/types";
import { ApiError, type ChatApi } from "./api";
import { createConnection, type Frame, type SocketFactory } from "./connection";
import { joinsGroup } from "./group";
import { ChannelLink, type SocketLink } from "./link";
import { type FailedMessage, Outbox, type RetryingMessage } from "./outbox";
import { loadSavedConversation, MessageStore, type PendingMessage, saveConversation } from "./store";
import type { TopicsState } from "./topics";
import { TypingIndicator, TypingSender, type TypingSignal } from "./typing";
import { randomId } from "./uuid";

export const MAX_MESSAGE_BYTES = 4096;

export interface ChatSnapshot {
  conversation: Conversation | null;
  messages: Message[];
  /** `retrying` set: refused once for a reason that passes (e.g. `service_unavailable`), sent again soon. */
  pending: RetryingMessage[];
  failed: FailedMessage[];
  connected: boolean;
  creating: boolean;
  /** The invitation the window was opened for, while no conversation has started. */
  invitation?: OpenedInvitation | null;
  /** The topics (queues) to choose among before writing, and whether the chosen one is online (`topics.ts`). */
  topics?: TopicsState;
  /** An operator is typing (`typing.ts`): their name, or "" when unknown; null: nobody. */
  operatorTyping?: string | null;
  /** The visitor's messages up to this seq were read by an operator. */
  readSeq?: number;
}

export type SendResult = "ok" | "empty" | "too_long";

export interface SessionOptions {
  siteKey: string;
  /**
   * Look for the visitor's open conversation only when this browser saved one: none saved, none to find
   * (the lookup's 404 would be a red line in the host page's devtools).
   */
  onlySaved?: boolean;
  api: ChatApi;
  storage: KeyValueStorage | null;
  socketUrl: () => string;
  /** The visitor token of the socket's `auth` frame; `renew` after the server refused it (1008). */
  socketToken: (renew: boolean) => string | null | Promise<string | null>;
  socketFactory?: SocketFactory;
  /** The loader's socket, used instead of one of the chat's own (`socketUrl`, `socketToken` then unused). */
  channel?: VisitorChannel;
  random?: () => number;
  uuid?: () => string;
  retryDelayMs?: number;
  /** A sent message without an ack after this long is sent again (same client_msg_id). */
  ackTimeoutMs?: number;
  /** A `resume` without its `resume.done` after this long may be sent again. */
  resumeTimeoutMs?: number;
  /** A new operator message arrived (not for history loaded at start). */
  onIncoming?: (message: Message) => void;
  onSocketClosed?: (code: number, reason: string) => void;
  /** The queue (topic) a new conversation goes to (null: the server picks). */
  queueId?: () => string | null;
  /** The widget's language, sent with a new conversation (routing prefers operators speaking it). */
  language?: () => string | null;
  /** The site lets operators see the draft as it is typed (sneak-peek); false: only that the visitor types. */
  sneakPeek?: boolean;
}

export class ChatSession {
  conversation: Conversation | null = null;
  readonly store = new MessageStore();
  readonly connection: SocketLink;
  readonly outbox: Outbox;
  /** An invitation the window was opened for: the visitor's first message accepts it (its conversation). */
  invitation: OpenedInvitation | null = null;
  private connected = false;
  private creating = false;
  private destroyed = false;
  private unlistenGroups: (() => void) | null;
  /** A `resume` is on its way (its resume.done not yet received): no second one for the same gap. */
  private resuming = false;
  /** The after_seq of the resume on its way. */
  private resumedAfter = 0;
  private resumeTimer: ReturnType<typeof setTimeout> | null = null;
  private everOpened = false;
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private listeners = new Set<() => void>();
  /** The other side types (`typing.ts`); how far an operator read; how far the visitor's read was told. */
  readonly typing = new TypingIndicator(() => this.emit());
  private readonly typingSender: TypingSender;
  private readSeq = 0;
  private readSent = 0;

  constructor(private readonly options: SessionOptions) {
    const handlers = {
      onOpen: () => this.onSocketOpen(),
      onFrame: (frame: Frame) => this.onFrame(frame),
      onStatus: (connected: boolean) => {
        this.connected = connected;
        if (!connected) this.resumeDone();
        this.emit();
      },
      onClose: (code: number, reason: string) => options.onSocketClosed?.(code, reason),
    };
    this.connection = options.channel
      ? new ChannelLink(options.channel, handlers)
      : createConnection({
          url: options.socketUrl,
          token: options.socketToken,
          factory: options.socketFactory,
          random: options.random,
          ...handlers,
        });
    this.outbox = new Outbox(options.storage, options.siteKey, (frame) => this.connection.send(frame), {
      ackTimeoutMs: options.ackTimeoutMs,
      onDue: () => this.flush(),
    });
    // a group chat an operator starts with this visitor is adopted live, even with no conversation open (`group.ts`)
    this.unlistenGroups = options.channel?.listen({ frame: (frame) => frame.type === "conversation.updated" && this.joinGroup(frame.conversation) }) ?? null;
    this.typingSender = new TypingSender((typing, draft) => {
      const id = this.isOpen ? this.conversationId : null;
      return !!id && this.connection.send({ type: "typing", conversation_id: id, typing, ...(draft === undefined ? {} : { draft }) });
    }, options.sneakPeek !== false);
  }

  get conversationId(): string | null {
    return this.conversation ? this.conversation.id : null;
  }

  get isOpen(): boolean {
    return !!this.conversation && this.conversation.state !== "closed";
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): ChatSnapshot {
    const id = this.conversationId;
    return {
      conversation: this.conversation,
      messages: this.store.list(),
      pending: this.outbox.pending().filter((p) => p.conversation_id === null || p.conversation_id === id),
      failed: [...this.outbox.failed],
      connected: this.connected,
      creating: this.creating,
      invitation: this.isOpen ? null : this.invitation,
      operatorTyping: this.typing.current ? this.typing.current.name || "" : null,
      readSeq: this.readSeq,
    };
  }

  /** First mount (page load, navigation): reuse the open conversation and load its history. */
  async start(): Promise<void> {
    const saved = loadSavedConversation(this.options.storage, this.options.siteKey);
    if (saved && saved.open) this.conversation = { id: saved.conversation_id, state: "waiting", last_seq: saved.last_seq };
    this.emit();
    let current: Conversation | null = null;
    try {
      if (saved || !this.options.onlySaved) current = await this.options.api.current();
    } catch {
      if (this.isOpen) this.connection.start(); // resuming after seq 0 brings the whole history
      else this.later("create", () => this.createConversation());
      return;
    }
    if (this.destroyed) return;
    // Written into a conversation that has ended meanwhile: these start a new one instead.
    if (saved && saved.conversation_id !== current?.id) this.outbox.queue.assign(null, saved.conversation_id);
    if (current) await this.adopt(current);
    else if (saved) await this.showEnded(saved.conversation_id);
    if (this.outbox.queue.forConversation(null).length) await this.createConversation();
  }

  /** Shows an invitation until the visitor writes (whose first message accepts it); null: forget it. */
  invite(invitation: OpenedInvitation | null): void {
    this.invitation = this.isOpen ? null : invitation;
    this.emit();
  }

  /** The visitor's input changed: a throttled typing signal (with the draft: sneak-peek). */
  typed(text: string): void {
    this.typingSender.input(text);
  }

  /** The visitor sees the messages (panel open, tab visible): tell the operator how far they read. */
  markRead(): void {
    const id = this.conversationId;
    const messages = this.store.list();
    const seq = messages.length ? messages[messages.length - 1].seq : 0;
    if (id && this.isOpen && seq > this.readSent && this.connection.send({ type: "read", conversation_id: id, seq })) this.readSent = seq;
  }

  /** Queues a visitor message; the first one starts the conversation. */
  send(text: string, quoteSeq?: number): SendResult {
    const clean = text.trim();
    if (!clean) return "empty";
    if (new TextEncoder().encode(clean).length > MAX_MESSAGE_BYTES) return "too_long";
    this.typingSender.sent();
    this.enqueue({
      client_msg_id: (this.options.uuid ?? randomId)(),
      conversation_id: null,
      text: clean,
      created_at: new Date().toISOString(),
      ...(quoteSeq ? { quote_seq: quoteSeq } : {}),
    });
    return "ok";
  }

  /** A message the visitor sent another way (a file, CHAT-10: the upload's answer), shown at once. */
  receive(message: Message): void {
    this.applyMessages([message]);
    this.emit();
  }

  /** Sends a failed message again, with its original client_msg_id. */
  retry(clientMsgId: string): void {
    const item = this.outbox.takeFailed(clientMsgId);
    if (item) this.enqueue({ client_msg_id: item.client_msg_id, conversation_id: null, text: item.text, created_at: item.created_at });
  }

  async endChat(): Promise<void> {
    const id = this.conversationId;
    if (!id || !this.isOpen) return;
    try {
      this.applyConversation(await this.options.api.close(id));
    } catch {
      await this.refreshConversation();
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.unlistenGroups?.();
    this.connection.stop();
    this.outbox.dispose();
    this.resumeDone();
    this.typing.clear();
    this.typingSender.sent();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
  }

  private enqueue(item: PendingMessage): void {
    item.conversation_id = this.isOpen ? this.conversationId : null;
    this.outbox.queue.add(item);
    this.emit();
    if (item.conversation_id) this.flush();
    else void this.createConversation();
  }

  private async createConversation(): Promise<void> {
    const first = this.outbox.queue.forConversation(null)[0];
    if (this.creating || !first || this.destroyed) return;
    this.creating = true;
    this.emit();
    const invitation = this.invitation;
    if (invitation) {
      this.invitation = null;
      const accepted = await invitation.accept().catch(() => null);
      if (accepted && !this.destroyed) {
        this.creating = false;
        await this.adopt(accepted); // the queued messages go to it
        this.emit();
        return;
      }
    }
    try {
      const { queueId, language } = this.options;
      const conversation = await this.options.api.create(first.text, first.client_msg_id, queueId?.(), language?.());
      this.creating = false;
      await this.adopt(conversation);
    } catch (error) {
      this.creating = false;
      if (error instanceof ApiError && !error.retryable) {
        this.outbox.giveUp(first, error.code);
        void this.createConversation(); // the next queued message, if any
      } else {
        this.later("create", () => this.createConversation());
      }
    }
    this.emit();
  }

  /** Makes `conversation` the current one, loads its history, and connects while it is open. */
  private async adopt(conversation: Conversation): Promise<void> {
    if (conversation.id !== this.conversationId) {
      this.store.reset();
      this.readSeq = this.readSent = 0;
    }
    this.conversation = conversation;
    this.outbox.queue.assign(conversation.id);
    this.persist();
    this.emit();
    try {
      const history = await this.options.api.messages(conversation.id, 0);
      this.applyMessages(history, true);
      if (history.length) this.store.markComplete(history[history.length - 1].seq);
      this.persist();
    } catch {
      /* the socket's resume brings the messages */
    }
    if (this.destroyed || this.conversationId !== conversation.id) return;
    if (this.isOpen) this.connection.start();
    this.emit();
  }

  /** The saved conversation is no longer open: show its transcript as closed, or forget it. */
  private async showEnded(conversationId: string): Promise<void> {
    try {
      const conversation = await this.options.api.get(conversationId);
      if (conversation.state !== "closed") return this.adopt(conversation);
      this.conversation = conversation;
      this.store.reset();
      this.applyMessages(await this.options.api.messages(conversationId, 0), true);
    } catch {
      this.conversation = null;
      this.store.reset();
      saveConversation(this.options.storage, this.options.siteKey, { conversation_id: conversationId, last_seq: 0, open: false });
    }
    this.persist();
    this.emit();
  }

  private onSocketOpen(): void {
    this.outbox.socketOpened();
    this.resumeDone();
    this.resume();
    // frames may have been missed while the socket was down: the state too (accepted, closed)
    if (this.everOpened) void this.refreshConversation();
    this.everOpened = true;
    this.flush();
  }

  /**
   * Asks for every message after the highest contiguous seq held (a `resume`); at most one on its way.
   * `force`: even while one is on its way (resync: what it brings may be older than the gap).
   */
  private resume(force = false): void {
    const id = this.conversationId;
    if (!id || !this.isOpen || (this.resuming && !force)) return;
    if (!this.connection.send({ type: "resume", conversation_id: id, after_seq: this.store.lastSeq })) return;
    this.resuming = true;
    this.resumedAfter = this.store.lastSeq;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      // no resume.done: allow another one for a gap still there
      this.resumeDone();
      if (this.store.hasGap) this.resume();
    }, this.options.resumeTimeoutMs ?? 10_000);
  }

  private resumeDone(): void {
    this.resuming = false;
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
  }

  private flush(): void {
    const id = this.conversationId;
    if (!id || !this.isOpen) return;
    const wait = this.outbox.heldFor();
    if (wait > 0) this.later("flush", () => this.flush(), wait);
    else this.outbox.flush(id);
  }

  private onFrame(frame: Frame): void {
    if (frame.type === "message.ack") {
      this.outbox.settle(frame.client_msg_id as string);
      this.applyMessages([frame.message as Message]);
    } else if (frame.type === "message.created") {
      this.applyMessages([frame.message as Message]);
    } else if (frame.type === "message.updated") {
      // an operator edited or retracted a message (CHAT-5): the newest revision wins
      const message = frame.message as Message;
      if (message?.conversation_id === this.conversationId && this.store.update(message)) this.persist();
    } else if (frame.type === "resume.done") {
      if (frame.conversation_id === this.conversationId) {
        this.store.markComplete(frame.last_seq as number);
        this.persist();
        // a hole the resume did not fill (should not happen): ask again later, not in a tight loop
        if (this.store.hasGap && this.store.lastSeq <= this.resumedAfter) this.later("resume", () => (this.resumeDone(), this.resume()));
        else this.resumeDone();
      }
    } else if (frame.type === "resync") {
      // the server may have missed realtime frames: everything after what we hold, and the state
      this.resume(true);
      void this.refreshConversation();
    } else if (frame.type === "conversation.updated") {
      if (!this.joinGroup(frame.conversation)) this.applyConversation(frame.conversation as Conversation);
    } else if (frame.type === "conversation.position") {
      this.applyPosition(frame as unknown as PositionFrame);
    } else if (frame.type === "conversation.typing" && frame.from === "operator" && frame.conversation_id === this.conversationId) {
      this.typing.seen(frame as TypingSignal);
    } else if (frame.type === "conversation.read" && frame.reader === "operator" && frame.conversation_id === this.conversationId) {
      this.readSeq = Math.max(this.readSeq, frame.seq as number);
    } else if (frame.type === "error") {
      const refusal = this.outbox.refused(frame, this.options.retryDelayMs ?? 3000);
      if (refusal?.outcome === "retry") this.later("flush", () => this.flush(), refusal.delayMs);
      else if (refusal?.outcome === "failed" && frame.code === "conversation_closed") void this.refreshConversation();
    }
    if (this.store.hasGap) this.resume(); // a frame skipped a seq: fetch the missing range now
    this.emit();
  }

  private applyMessages(messages: Message[], quiet = false): void {
    const id = this.conversationId;
    const mine = messages.filter((m) => m && m.conversation_id === id);
    for (const message of mine) this.outbox.settle(message.client_msg_id);
    const added = this.store.merge(mine); // what it already holds (same seq or id) is dropped
    if (!added.length) return;
    this.persist();
    if (added.some((m) => m.sender_type === "operator")) this.typing.clear(); // their message is here
    if (!quiet) for (const message of added) if (message.sender_type === "operator") this.options.onIncoming?.(message);
  }

  /** A new group conversation with this visitor (CHAT-7): it becomes the widget's conversation now. */
  private joinGroup(incoming: unknown): boolean {
    if (this.destroyed || !joinsGroup(this.conversation, incoming)) return false;
    void this.adopt(incoming);
    return true;
  }

  private applyConversation(conversation: Conversation | undefined): void {
    if (!conversation || conversation.id !== this.conversationId) return;
    const wasOpen = this.isOpen;
    const known = this.conversation;
    // `conversation.updated` frames carry no position: keep the last one while it still waits in the same queue
    if (known && conversation.state === "waiting" && conversation.position == null && known.queue_id === conversation.queue_id) {
      conversation = { ...conversation, position: known.position, expected_wait_seconds: known.expected_wait_seconds };
    }
    this.conversation = conversation;
    this.persist();
    if (wasOpen && conversation.state === "closed") this.onClosed(conversation.id);
    this.emit();
  }

  /** The visitor's place in their queue moved (waiting only; a state change clears it). */
  private applyPosition(frame: PositionFrame): void {
    const conversation = this.conversation;
    if (!conversation || conversation.id !== frame.conversation_id || conversation.state !== "waiting") return;
    this.conversation = { ...conversation, position: frame.position, expected_wait_seconds: frame.expected_wait_seconds };
  }

  private onClosed(conversationId: string): void {
    this.connection.stop();
    for (const item of this.outbox.queue.forConversation(conversationId)) this.outbox.giveUp(item, "conversation_closed");
    // A closing system message may follow the state change: fetch what the socket did not bring.
    this.options.api
      .messages(conversationId, this.store.lastSeq)
      .then((messages) => {
        this.applyMessages(messages, true);
        this.emit();
      })
      .catch(() => undefined);
  }

  private async refreshConversation(): Promise<void> {
    const id = this.conversationId;
    if (!id) return;
    try {
      this.applyConversation(await this.options.api.get(id));
    } catch {
      /* the socket will tell */
    }
  }

  private persist(): void {
    const conversation = this.conversation;
    if (!conversation) return;
    saveConversation(this.options.storage, this.options.siteKey, {
      conversation_id: conversation.id,
      last_seq: this.store.lastSeq,
      open: conversation.state !== "closed",
    });
  }

  private later(name: string, task: () => void, delayMs = this.options.retryDelayMs ?? 3000): void {
    if (this.timers.has(name) || this.destroyed) return;
    const timer = setTimeout(() => {
      this.timers.delete(name);
      if (!this.destroyed) task();
    }, delayMs);
    this.timers.set(name, timer);
  }

  private emit(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        /* a broken view must not stop the session */
      }
    }
  }
}
