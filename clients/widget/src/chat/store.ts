/**
 * The chat's state without the DOM: confirmed messages merged by `seq`, the queue of messages not yet
 * acknowledged (persisted, so a reload re-sends them with the same client_msg_id), and the saved
 * conversation pointer `fw:conv:<siteKey>` = {conversation_id, last_seq, open}.
 */
import { type KeyValueStorage, readJSON, storageKey, writeJSON, writeString } from "../shared/storage";
import type { Message } from "../shared/types";
import { isNewer } from "./edits";

export interface SavedConversation {
  conversation_id: string;
  last_seq: number;
  open: boolean;
}

export interface PendingMessage {
  client_msg_id: string;
  /** null while the conversation is being created by this very message. */
  conversation_id: string | null;
  text: string;
  created_at: string;
  /** A quote-reply (CHAT-5): the seq of the message it quotes. */
  quote_seq?: number;
}

/** Confirmed messages of one conversation, deduplicated by id and seq, always sorted by seq. */
export class MessageStore {
  private bySeq = new Map<number, Message>();
  private ids = new Set<string>();
  /** Every message up to this seq is known (the value to resume after). */
  lastSeq = 0;

  /** Adds what is new; returns the added messages in seq order. */
  merge(messages: readonly Message[]): Message[] {
    const added: Message[] = [];
    for (const message of messages) {
      if (!message || !Number.isInteger(message.seq) || message.seq < 1) continue;
      if (this.bySeq.has(message.seq) || this.ids.has(message.id)) continue;
      this.bySeq.set(message.seq, message);
      this.ids.add(message.id);
      added.push(message);
    }
    this.advance();
    return added.sort((a, b) => a.seq - b.seq);
  }

  /** An edit or retraction (`message.updated`, CHAT-5): replaces the held copy when newer; one not held is merged. */
  update(message: Message): boolean {
    if (!message || !Number.isInteger(message.seq)) return false;
    const held = this.bySeq.get(message.seq);
    if (!held) return this.merge([message]).length > 0;
    if (held.id !== message.id || !isNewer(held, message)) return false;
    this.bySeq.set(message.seq, message);
    return true;
  }

  /** The message with this seq, if held (what a quote names). */
  get(seq: number): Message | undefined {
    return this.bySeq.get(seq);
  }

  /** The server says every message up to `seq` was delivered (history page, resume.done). */
  markComplete(seq: number): void {
    if (Number.isInteger(seq) && seq > this.lastSeq) this.lastSeq = seq;
    this.advance();
  }

  list(): Message[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** A message after a hole is held: the messages between lastSeq and it are missing. */
  get hasGap(): boolean {
    for (const seq of this.bySeq.keys()) if (seq > this.lastSeq) return true;
    return false;
  }

  /** Whether the message with this seq (or id) is already held. */
  holds(message: Message): boolean {
    return this.bySeq.has(message.seq) || this.ids.has(message.id);
  }

  get size(): number {
    return this.bySeq.size;
  }

  /** Forgets everything (another conversation). */
  reset(): void {
    this.bySeq.clear();
    this.ids.clear();
    this.lastSeq = 0;
  }

  private advance(): void {
    while (this.bySeq.has(this.lastSeq + 1)) this.lastSeq += 1;
  }
}

/** Messages sent but not acknowledged yet, persisted in `fw:pending:<siteKey>`. */
export class PendingQueue {
  private items: PendingMessage[];

  constructor(
    private readonly storage: KeyValueStorage | null,
    private readonly key: string,
  ) {
    const saved = readJSON<PendingMessage[]>(storage, key);
    this.items = Array.isArray(saved) ? saved.filter((p) => p && typeof p.client_msg_id === "string") : [];
  }

  list(): PendingMessage[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.length;
  }

  forConversation(conversationId: string | null): PendingMessage[] {
    return this.items.filter((p) => p.conversation_id === conversationId);
  }

  add(item: PendingMessage): void {
    if (this.items.some((p) => p.client_msg_id === item.client_msg_id)) return;
    this.items.push(item);
    this.save();
  }

  /** Drops an acknowledged (or given up) message; returns it when it was pending. */
  remove(clientMsgId: string | null | undefined): PendingMessage | null {
    const found = this.items.find((p) => p.client_msg_id === clientMsgId) || null;
    if (found) {
      this.items = this.items.filter((p) => p !== found);
      this.save();
    }
    return found;
  }

  /** Moves messages to another conversation: by default those written while it was being created. */
  assign(conversationId: string | null, from: string | null = null): void {
    let changed = false;
    for (const item of this.items) {
      if (item.conversation_id === from) {
        item.conversation_id = conversationId;
        changed = true;
      }
    }
    if (changed) this.save();
  }

  private save(): void {
    if (this.items.length) writeJSON(this.storage, this.key, this.items);
    else writeString(this.storage, this.key, null);
  }
}

export function loadSavedConversation(storage: KeyValueStorage | null, siteKey: string): SavedConversation | null {
  const saved = readJSON<SavedConversation>(storage, storageKey("conv", siteKey));
  if (!saved || typeof saved.conversation_id !== "string") return null;
  return { conversation_id: saved.conversation_id, last_seq: Number(saved.last_seq) || 0, open: saved.open === true };
}

export function saveConversation(storage: KeyValueStorage | null, siteKey: string, saved: SavedConversation): void {
  writeJSON(storage, storageKey("conv", siteKey), saved);
}
