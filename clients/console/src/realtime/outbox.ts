/** Messages sent by the operator and not yet acknowledged by the server, oldest first. */

export interface PendingMessage {
  conversation_id: string;
  client_msg_id: string;
  text: string;
  /** Epoch milliseconds when the operator sent it. */
  queued_at: number;
  status: "sending" | "failed";
  error?: { code: string; message: string };
}

export class Outbox {
  private readonly entries = new Map<string, PendingMessage>();

  constructor(
    private readonly newId: () => string,
    private readonly now: () => number,
  ) {}

  add(conversationId: string, text: string): PendingMessage {
    const entry: PendingMessage = {
      conversation_id: conversationId,
      client_msg_id: this.newId(),
      text,
      queued_at: this.now(),
      status: "sending",
    };
    this.entries.set(entry.client_msg_id, entry);
    return entry;
  }

  /** Entries to (re)send after an open: everything not failed, in the order they were written. */
  sending(): PendingMessage[] {
    return this.list().filter((entry) => entry.status === "sending");
  }

  list(): PendingMessage[] {
    return [...this.entries.values()];
  }

  remove(clientMsgId: string): boolean {
    return this.entries.delete(clientMsgId);
  }

  fail(clientMsgId: string, code: string, message: string): boolean {
    const entry = this.entries.get(clientMsgId);
    if (!entry) return false;
    this.entries.set(clientMsgId, { ...entry, status: "failed", error: { code, message } });
    return true;
  }

  retry(clientMsgId: string): PendingMessage | null {
    const entry = this.entries.get(clientMsgId);
    if (!entry) return null;
    const again: PendingMessage = { ...entry, status: "sending", error: undefined };
    this.entries.set(clientMsgId, again);
    return again;
  }
}
