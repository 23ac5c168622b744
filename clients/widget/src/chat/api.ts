/** The visitor's REST calls (docs/api.md "Conversations"), with `Authorization: Bearer <visitor token>`. */
import type { Conversation, Message } from "../shared/types";

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

  /** Starts a conversation with its first message (200 gives the already open one). */
  create(text: string, clientMsgId: string): Promise<Conversation> {
    return this.request<Conversation>("POST", "/api/v1/conversations", { text, client_msg_id: clientMsgId });
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
