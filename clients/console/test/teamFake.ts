/** A fake chat API for the queue, board and transfer tests: conversations, queues (with their summary),
 * presence, and the team endpoints (transfer, participants, watch, join), recording every request. */

import { vi } from "vitest";
import { ApiClient } from "../src/api/client";
import type { Presence } from "../src/api/presence";
import type { Queue } from "../src/api/queues";
import { storageSessionStore } from "../src/api/tokens";
import type { Conversation, QueueSummary, Role, Visitor } from "../src/types";
import { conversation, json, routedFetch, tokens } from "./fakes";

export function presence(userId: string, name: string, overrides: Partial<Presence> = {}): Presence {
  return {
    user_id: userId,
    name,
    status: "online",
    status_changed_at: "2030-01-01T09:00:00Z",
    max_chats: 3,
    max_chats_override: null,
    active_chats: 0,
    ...overrides,
  };
}

export function queue(id: string, name: string, overrides: Partial<Queue> = {}): Queue {
  return {
    id,
    name,
    welcome_message: null,
    hours: null,
    priority: 0,
    strategy: "least_busy",
    max_wait_seconds: 60,
    min_gap_seconds: 0,
    failover_queue_id: null,
    sections: [],
    members: [],
    webhook_url: null,
    webhook_secret_set: false,
    open_now: true,
    created_at: "2030-01-01T08:00:00Z",
    updated_at: "2030-01-01T08:00:00Z",
    ...overrides,
  };
}

type Answer = Response | ((body: unknown) => Response);

export class TeamServer {
  conversations: Conversation[] = [];
  queues: Queue[] = [];
  /** Unset: `GET /api/v1/queues/summary` is 404 (an older chat service). */
  summary?: QueueSummary[];
  operators: Presence[] = [];
  visitors: Visitor[] = [];
  /** Answers by "METHOD path" (the team endpoints), before the defaults. */
  answers: Record<string, Answer> = {};
  readonly fetch: typeof globalThis.fetch;
  readonly calls: Array<{ method: string; path: string; body: unknown; auth: string | null }>;
  /** What `GET /api/v1/presence` says is the account's default maximum of chats. */
  defaultMaxChats = 3;
  private count = 0;

  constructor(readonly role: Role = "operator") {
    const { fetch, calls } = routedFetch((r) => this.route(r));
    this.fetch = fetch;
    this.calls = calls;
  }

  api(userId = "u1", name = "Olga"): ApiClient {
    const store = storageSessionStore(null);
    const t = tokens("acc");
    const user = { ...t.user, id: userId, name, role: this.role };
    store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user, accounts: [] });
    return new ApiClient({ fetch: this.fetch, store });
  }

  posted(path: string): unknown[] {
    return this.calls.filter((c) => c.path === path && c.method !== "GET").map((c) => c.body);
  }

  private route(r: { method: string; path: string; body: unknown }): Response | undefined {
    const key = `${r.method} ${r.path}`;
    const answer = this.answers[key];
    if (answer) return typeof answer === "function" ? answer(r.body) : answer.clone();
    const state = /^GET \/api\/v1\/conversations\?state=(\w+)$/.exec(key)?.[1];
    if (state) return json({ conversations: this.conversations.filter((c) => c.state === state) });
    if (key === "GET /api/v1/visitors/live") return json({ visitors: this.visitors });
    if (key === "GET /api/v1/me/presence") return json(this.operators.find((p) => p.user_id === "u1") ?? presence("u1", "Olga"));
    if (key === "GET /api/v1/presence/colleagues") {
      // any operator: no capacity override, no contact details; the queues each is a member of
      const colleagues = this.operators.map(({ max_chats_override: _, languages: __, ...p }) => ({
        ...p,
        queue_ids: this.queues.filter((q) => q.members.some((m) => m.user_id === p.user_id)).map((q) => q.id),
      }));
      return json({ operators: colleagues });
    }
    if (key === "GET /api/v1/presence") {
      if (this.role === "operator") return json({ error: { code: "insufficient_role", message: "No." } }, 403);
      return json({ operators: this.operators, default_max_chats: this.defaultMaxChats });
    }
    if (key === "GET /api/v1/queues") return json({ queues: this.queues });
    if (key === "GET /api/v1/queues/summary" && this.summary) return json({ queues: this.summary });
    const languages = /^PUT \/api\/v1\/operators\/([^/]+)\/languages$/.exec(key)?.[1];
    if (languages) {
      const found = this.operators.find((p) => p.user_id === decodeURIComponent(languages));
      if (!found) return json({ error: { code: "user_not_found", message: "No such operator." } }, 404);
      Object.assign(found, { languages: (r.body as { languages: string[] }).languages });
      return json(found);
    }
    if (key === "POST /api/v1/queues") {
      this.count += 1;
      const created = queue(`q-new-${this.count}`, "", { ...(r.body as Partial<Queue>) });
      this.queues.push(created);
      return json(created, 201);
    }
    const queueId = /^(PUT|DELETE) \/api\/v1\/queues\/([\w-]+)$/.exec(key);
    if (queueId) {
      const index = this.queues.findIndex((q) => q.id === queueId[2]);
      if (index < 0) return json({ error: { code: "queue_not_found", message: "No such queue." } }, 404);
      if (queueId[1] === "DELETE") {
        this.queues.splice(index, 1);
        return new Response(null, { status: 204 });
      }
      this.queues[index] = { ...this.queues[index], ...(r.body as Partial<Queue>) };
      return json(this.queues[index]);
    }
    const team = /^POST \/api\/v1\/conversations\/([\w-]+)\/(watch|join)$/.exec(key);
    if (team) {
      const found = this.conversations.find((c) => c.id === team[1]);
      if (!found) return json({ error: { code: "conversation_not_found", message: "No." } }, 404);
      const role = team[2] === "watch" ? "watching" : "invited";
      return json({ ...found, participants: [...(found.participants ?? []), { user_id: "u1", name: "Olga", role }] });
    }
    if (r.path.startsWith("/api/v1/conversations/") && r.path.includes("/messages?")) return json({ messages: [] });
    const one = /^GET \/api\/v1\/conversations\/([\w-]+)$/.exec(key);
    if (one) {
      const found = this.conversations.find((c) => c.id === one[1]);
      return found ? json(found) : undefined;
    }
    return undefined;
  }
}

export const activeChat = (overrides: Partial<Conversation> = {}) =>
  conversation({
    id: "c1",
    state: "active",
    assigned_user_id: "u1",
    assigned_user_name: "Olga",
    accepted_at: "2030-01-01T10:01:00Z",
    last_seq: 2,
    participants: [{ user_id: "u1", name: "Olga", role: "assigned" }],
    ...overrides,
  });

export const notifier = () => ({ beep: vi.fn(), title: vi.fn() });
