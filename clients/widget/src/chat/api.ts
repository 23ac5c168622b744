/** The visitor's REST calls (docs/api.md "Conversations"), with `Authorization: Bearer <visitor token>`. */
import type { Conversation, InvitationOperator, Message, QueueAvailability } from "../shared/types";
import type { PrechatAnswers, PrechatForm } from "./prechat";

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

  /**
   * Starts a conversation with its first message, in the chosen queue if any (200 gives the already open one), in
   * the widget's language (a BCP 47 tag, `shared/language.ts`: routing offers it to operators speaking it first).
   */
  create(text: string, clientMsgId: string, queueId?: string | null, language?: string | null): Promise<Conversation> {
    const body: Record<string, string> = { text, client_msg_id: clientMsgId };
    if (queueId) body.queue_id = queueId;
    if (language) body.language = language;
    return this.request<Conversation>("POST", "/api/v1/conversations", body);
  }

  /** The account's queues (topics), each online or not now. */
  async availability(): Promise<QueueAvailability[]> {
    return (await this.request<{ queues: QueueAvailability[] }>("GET", "/api/v1/queues/availability")).queues || [];
  }

  /** The site's pre-chat form (EMB-5: `prechat.ts`) and whether this visitor answered it. */
  prechatForm(): Promise<PrechatForm> {
    return this.request<PrechatForm>("GET", "/api/v1/prechat-form");
  }

  /** The visitor's answers to it (checked again on the server: 422 naming a field). */
  prechat(answers: PrechatAnswers): Promise<unknown> {
    return this.request("POST", "/api/v1/prechat", answers);
  }

  /** The offline form (EMB-7): a ticket answered by email. */
  offlineMessage(body: { name?: string; email: string; message: string; queue_id?: string | null }): Promise<unknown> {
    const sent = { ...body };
    if (!sent.queue_id) delete sent.queue_id;
    return this.request("POST", "/api/v1/tickets", sent);
  }

  /** The conversation's messages by email (OFF-3). */
  /** EMB-3: the name and photo of the operator who answers the conversation (null: nobody yet). */
  async operator(conversationId: string): Promise<InvitationOperator | null> {
    const path = `/api/v1/widget/conversations/${encodeURIComponent(conversationId)}/operator`;
    return (await this.request<{ operator: InvitationOperator | null }>("GET", path)).operator;
  }

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

  /** Sends a file (CHAT-10): the raw bytes, typed by the server from their content; the message that carries it. */
  async upload(conversationId: string, file: Blob, name: string, clientMsgId: string): Promise<Message> {
    const query = `?name=${encodeURIComponent(name)}&client_msg_id=${encodeURIComponent(clientMsgId)}`;
    const response = await this.send("POST", `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments${query}`, file, "application/octet-stream");
    return this.parse<Message>(response);
  }

  /** A file of the conversation, fetched with the token in the header (never in a URL). */
  async file(conversationId: string, attachmentId: string): Promise<Blob> {
    const response = await this.send("GET", `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments/${encodeURIComponent(attachmentId)}`);
    if (!response.ok) await this.parse(response);
    return response.blob();
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

  private request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    return this.send(method, path, json, json === undefined ? undefined : "application/json").then((response) => this.parse<T>(response));
  }

  private async send(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token()}` };
    if (contentType) headers["Content-Type"] = contentType;
    try {
      return await this.fetchImpl(this.baseUrl + path, { method, headers, body });
    } catch {
      throw new ApiError(0, "network_error", "The server could not be reached.");
    }
  }

  private async parse<T>(response: Response): Promise<T> {
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (payload && payload.error) || {};
      throw new ApiError(response.status, error.code || "request_failed", error.message || `HTTP ${response.status}`);
    }
    return payload as T;
  }
}
