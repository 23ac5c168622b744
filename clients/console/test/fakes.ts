/** Test doubles: a scriptable WebSocket, a routed fetch, and sample API objects. */

import { vi } from "vitest";
import type { SocketLike } from "../src/realtime/socket";
import type { Conversation, Message, PageView, TokenResponse, Visit, Visitor, VisitorDetail } from "../src/types";

export class FakeSocket implements SocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static latest(): FakeSocket {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: 1000 } as CloseEvent);
  }

  /** The connection opens; `accept`: the server takes the `auth` frame the client sent first (auth.ok). */
  open(accept = true): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
    if (accept && this.sent[0]?.type === "auth") this.receive({ type: "auth.ok", expires_at: 4102444800 });
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent);
  }

  /** The server (or the network) drops the connection. */
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }

  framesOf(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((f) => f.type === type);
  }
}

/** An error frame of the operator socket (`retryable` as the gateway says it). */
export function errorFrame(code: string, clientMsgId: unknown, extra: Record<string, unknown> = {}) {
  const retryable = code === "service_unavailable" || code === "rate_limited";
  return { type: "error", code, message: `${code}!`, retryable, client_msg_id: clientMsgId, ...extra };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

type Route = (request: { method: string; path: string; body: unknown; auth: string | null }) => Response | undefined;

/** A fetch mock that answers from `route`, recording every request. */
export function routedFetch(route: Route) {
  const calls: Array<{ method: string; path: string; body: unknown; auth: string | null }> = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const request = {
      method: init?.method ?? "GET",
      path: String(input),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      auth: headers.Authorization ?? null,
    };
    calls.push(request);
    const response = route(request);
    if (!response) return json({ error: { code: "not_found", message: `No route ${request.path}` } }, 404);
    return response;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

export function tokens(access: string, refresh = `refresh-${access}`, expiresIn = 900): TokenResponse {
  return {
    access_token: access,
    refresh_token: refresh,
    token_type: "bearer",
    expires_in: expiresIn,
    user: { id: "u1", email: "olga@demo.example", name: "Olga", role: "operator", account_id: "a1" },
    accounts: [{ id: "a1", name: "Demo", role: "operator" }],
  };
}

export function conversation(overrides: Partial<Conversation> = {}): Conversation {
  return {
    id: "c1",
    account_id: "a1",
    site_id: "s1",
    visitor_id: "v-000001",
    channel: "web",
    state: "waiting",
    assigned_user_id: null,
    assigned_user_name: null,
    created_at: "2030-01-01T10:00:00Z",
    accepted_at: null,
    closed_at: null,
    last_seq: 0,
    last_message_at: null,
    ...overrides,
  };
}

export function message(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: "c1",
    seq,
    client_msg_id: null,
    sender_type: "visitor",
    sender_id: "v-000001",
    sender_name: null,
    text: `message ${seq}`,
    created_at: `2030-01-01T10:00:${String(seq).padStart(2, "0")}Z`,
    ...overrides,
  };
}

/** A live visitor (LiveVisitor of docs/api.md): new, from Berlin, on a laptop page, arrived from a search. */
export function visitor(overrides: Partial<Visitor> = {}): Visitor {
  return {
    visitor_id: "v-000001",
    site_id: "s1",
    visit_id: "visit-1",
    current_url: "https://shop.example/laptops/pro",
    current_title: "Laptop Pro 14",
    section: "Laptops",
    first_seen_at: "2030-01-01T09:55:00Z",
    last_seen_at: "2030-01-01T10:00:00Z",
    visit_started_at: "2030-01-01T09:55:00Z",
    page_started_at: "2030-01-01T09:59:00Z",
    pages_viewed: 3,
    visit_count: 1,
    returning: false,
    ip: "203.0.113.7",
    location: { country_code: "DE", country: "Germany", region: "Berlin", city: "Berlin", time_zone: "Europe/Berlin" },
    device: { browser: "Chrome", browser_version: "120", os: "macOS", os_version: "14", device_class: "desktop" },
    referrer: "https://www.google.com/",
    arrived_via: { kind: "search", source: "google", keywords: "laptop pro" },
    utm: { source: null, medium: null, campaign: null, term: null, content: null },
    contact: null,
    attributes: {},
    chat_state: "none",
    ...overrides,
  };
}

export function page(n: number, overrides: Partial<PageView> = {}): PageView {
  return {
    page_id: `p${n}`,
    url: `https://shop.example/page-${n}`,
    title: `Page ${n}`,
    section: null,
    viewed_at: `2030-01-01T09:5${n}:00Z`,
    time_spent_seconds: 60,
    ...overrides,
  };
}

export function visit(overrides: Partial<Visit> = {}): Visit {
  const pages = overrides.pages ?? [page(1), page(2)];
  return {
    visit_id: "visit-1",
    started_at: "2030-01-01T09:55:00Z",
    last_activity_at: "2030-01-01T10:00:00Z",
    landing_url: pages[0]?.url ?? null,
    referrer: null,
    arrived_via: { kind: "direct", source: null, keywords: null },
    utm: { source: null, medium: null, campaign: null, term: null, content: null },
    page_count: pages.length,
    ip: "203.0.113.7",
    location: null,
    device: null,
    pages,
    ...overrides,
  };
}

/** GET /api/v1/visitors/{id} of a visitor on the site now, with no history. */
export function visitorDetail(overrides: Partial<VisitorDetail> = {}): VisitorDetail {
  return {
    ...visitor(),
    is_robot: false,
    robot_reason: null,
    visits: [visit()],
    products: [],
    searches: [],
    ...overrides,
  };
}
