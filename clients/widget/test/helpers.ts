/** Test doubles: a scriptable WebSocket and a fetch that answers from a route table. */
import { vi } from "vitest";
import type { SocketLike } from "../src/chat/connection";
import type { Conversation, Message } from "../src/shared/types";

export class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: SocketLike["onopen"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  onmessage: SocketLike["onmessage"] = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  static latest(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }

  static factory = (url: string): SocketLike => new FakeSocket(url);

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }

  /** The connection opens; `accept`: the server takes the `auth` frame the client sent first (auth.ok). */
  open(accept = true): void {
    this.readyState = 1;
    this.onopen?.({});
    if (accept && this.sent[0]?.type === "auth") this.receive({ type: "auth.ok", expires_at: 4102444800 });
  }

  receive(frame: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The network dropped the connection. */
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  framesOfType(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((f) => f.type === type);
  }
}

export interface Call {
  method: string;
  url: string;
  body: unknown;
  init: RequestInit;
}

type Handler = (call: Call) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;

/** A fetch mock answering `"METHOD /path"` routes (path without the query string). */
export function fakeFetch(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = (init.method || "GET").toUpperCase();
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    const call = { method, url, body, init };
    calls.push(call);
    const path = new URL(url).pathname;
    const handler = routes[`${method} ${path}`];
    if (!handler) return new Response(JSON.stringify({ error: { code: "not_found" } }), { status: 404 });
    const { status, body: out } = await handler(call);
    return new Response(out === undefined ? null : JSON.stringify(out), { status });
  });
  return { fetch: fn as unknown as typeof fetch, calls };
}

export function conversation(overrides: Partial<Conversation> = {}): Conversation {
  return { id: "c1", state: "waiting", last_seq: 0, assigned_user_name: null, ...overrides };
}

export function message(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: "c1",
    seq,
    client_msg_id: null,
    sender_type: "operator",
    sender_id: "u1",
    sender_name: "Ana",
    text: `message ${seq}`,
    created_at: "2024-05-01T14:05:00Z",
    ...overrides,
  };
}

/** Timers these tests fake; setImmediate stays real so that `settle` works under fake timers. */
export const FAKE_TIMERS = { toFake: ["setTimeout", "clearTimeout", "Date"] as const };

/** Lets pending promise callbacks (and fetch bodies) run. */
export async function settle(rounds = 10): Promise<void> {
  const { setImmediate } = globalThis as unknown as { setImmediate: (callback: () => void) => void };
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
