/** The visitor's REST calls (docs/api.md "Conversations"), with `Authorization: Bearer <visitor token>`. */
import type { Conversation, Message, QueueAvailability } from "../shared/types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /**
   * Worth trying again later (network, gateway or a service down: 503 `service_unavailable`), as opposed to
   * a refusal or an `internal_error` (a bug: shown as failed, the visitor may retry).
   */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || (this.status >= 500 && this.code !== "internal_error");
  }
}

const PAGE = 200;

export class ChatApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** The visitor's open conversation, or null (404 `no_open_conversation`). */
  async current(): Promise<Conversation | null> {
    try {
      return await this.request<Conversation>("GET", "/api/v1/conversations/current");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** Starts a conversation with its first message, in the chosen queue if any (200 gives the already open one). */
  create(text: string, clientMsgId: string, queueId?: string | null): Promise<Conversation> {
    const body: Record<string, string> = { text, client_msg_id: clientMsgId };
    if (queueId) body.queue_id = queueId;
    return this.request<Conversation>("POST", "/api/v1/conversations", body);
  }

  /** The account's queues (topics), each online or not now. */
  async availability(): Promise<QueueAvailability[]> {
    return (await this.request<{ queues: QueueAvailability[] }>("GET", "/api/v1/queues/availability")).queues || [];
  }

  /** The offline form (EMB-7): a ticket answered by email. */
  offlineMessage(body: { name?: string; email: string; message: string; queue_id?: string | null }): Promise<unknown> {
    const sent = { ...body };
    if (!sent.queue_id) delete sent.queue_id;
    return this.request("POST", "/api/v1/tickets", sent);
  }

  /** The conversation's messages by email (OFF-3). */
  transcript(conversationId: string, email: string): Promise<unknown> {
    return this.request("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/transcript`, { email });
  }

  /** EMB-10: the visitor rates their ended conversation (once: again is 409 `already_rated`). */
  rate(conversationId: string, score: number, comment: string): Promise<unknown> {
    const body = comment ? { score, comment } : { score };
    return this.request("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/rating`, body);
  }

  /** The visitor will not wait (OFF-2): the chat so far becomes a ticket, the conversation closes. */
  chatToTicket(conversationId: string, email: string): Promise<unknown> {
    return this.request("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/ticket`, { email });
  }

  get(conversationId: string): Promise<Conversation> {
    return this.request<Conversation>("GET", `/api/v1/conversations/${encodeURIComponent(conversationId)}`);
  }

  close(conversationId: string): Promise<Conversation> {
    return this.request<Conversation>("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/close`);
  }

  /** Every message after `afterSeq`, page by page, in seq order. */
  async messages(conversationId: string, afterSeq = 0): Promise<Message[]> {
    const all: Message[] = [];
    let after = afterSeq;
    for (;;) {
      const path = `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages?after_seq=${after}&limit=${PAGE}`;
      const page = (await this.request<{ messages: Message[] }>("GET", path)).messages || [];
      all.push(...page);
      if (page.length < PAGE) return all;
      after = page[page.length - 1].seq;
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached.");
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (payload && payload.error) || {};
      throw new ApiError(response.status, error.code || "request_failed", error.message || `HTTP ${response.status}`);
    }
    return payload as T;
  }
}
