/** A fake rules API for the editor's tests: a site's rules kept in order with versions, as the server does
 * (docs/api.md, Invitation rules), a scripted answer for the next save, a preview and an explanation. */

import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import type { Explained, Preview, RuleStats } from "../src/api/rules";
import type { Rule, RuleDefinition } from "../src/lib/rules";
import type { Role } from "../src/types";
import { json, routedFetch, tokens } from "./fakes";

export class RulesServer {
  rules: Rule[] = [];
  /** The answer to the next POST or PUT of a rule, instead of saving it. */
  nextSave: Response | null = null;
  preview: Preview = { live: 0, matching: 0, visitors: [] };
  explained: Record<string, Explained> = {};
  /** The rules' counts (`?stats=true`); unset: the server refuses (403), the list shows none. */
  stats?: RuleStats[];
  /** What the editor may offer to pick; unset: the server refuses (404), the editor takes typed ids. */
  operators?: Array<{ user_id: string; name: string }>;
  queues?: Array<{ id: string; name: string }>;
  sections?: string[];
  private count = 0;

  add(definition: RuleDefinition): Rule {
    this.count += 1;
    const rule: Rule = {
      ...definition,
      id: `r${this.count}`,
      site_id: "s1",
      position: this.rules.length,
      version: 1,
      created_at: "2030-01-01T10:00:00Z",
      updated_at: "2030-01-01T10:00:00Z",
    };
    this.rules.push(rule);
    return rule;
  }

  private renumber(): void {
    this.rules = this.rules.map((r, position) => ({ ...r, position }));
  }

  route = (r: { method: string; path: string; body: unknown }): Response | undefined => {
    const key = `${r.method} ${r.path}`;
    if (key === "GET /api/v1/sites") return json({ sites: [{ id: "s1", name: "Demo shop" }] });
    if (key === "GET /api/v1/sites/s1/rules") return json({ rules: this.rules, stats: null });
    if (key === "GET /api/v1/sites/s1/rules?stats=true")
      return this.stats
        ? json({ rules: this.rules, stats: this.stats })
        : json({ error: { code: "insufficient_role", message: "Supervisors or admins only." } }, 403);
    if (key === "POST /api/v1/sites/s1/rules/preview") return json(this.preview);
    if (key === "GET /api/v1/presence" && this.operators) return json({ operators: this.operators });
    if (key === "GET /api/v1/queues" && this.queues) return json({ queues: this.queues });
    if (key === "GET /api/v1/track/settings/s1" && this.sections) {
      const sections = this.sections.map((name) => ({ name, pattern: `/${name.toLowerCase()}/*` }));
      return json({ sections, products: [], searches: [], retention_days: null });
    }
    if (key === "POST /api/v1/sites/s1/rules" || (r.method === "PUT" && r.path.startsWith("/api/v1/rules/"))) {
      if (this.nextSave) {
        const answer = this.nextSave;
        this.nextSave = null;
        return answer;
      }
    }
    if (key === "POST /api/v1/sites/s1/rules") return json(this.add(r.body as RuleDefinition), 201);
    const match = /^\/api\/v1\/rules\/([^/]+)(\/.*)?$/.exec(r.path);
    if (!match) return undefined;
    const [, id, rest] = match;
    const index = this.rules.findIndex((x) => x.id === id);
    if (index < 0) return json({ error: { code: "rule_not_found", message: "No such rule." } }, 404);
    const rule = this.rules[index];
    if (rest?.startsWith("/explain/")) {
      const found = this.explained[decodeURIComponent(rest.slice("/explain/".length))];
      return found
        ? json(found)
        : json({ error: { code: "visitor_not_live", message: "The visitor is not live." } }, 404);
    }
    if (rest === "/move" && r.method === "POST") {
      const position = (r.body as { position: number }).position;
      const others = this.rules.filter((x) => x.id !== id);
      others.splice(Math.min(position, others.length), 0, { ...rule, version: rule.version + 1 });
      this.rules = others;
      this.renumber();
      return json({ rules: this.rules });
    }
    if (r.method === "PATCH" || r.method === "PUT") {
      const { version, ...changes } = r.body as { version?: number };
      if (version !== undefined && version !== rule.version)
        return json(
          {
            error: {
              code: "version_conflict",
              message: "The rule was changed meanwhile.",
              details: { version: rule.version },
            },
          },
          409,
        );
      this.rules[index] = { ...rule, ...changes, version: rule.version + 1 };
      return json(this.rules[index]);
    }
    if (r.method === "DELETE") {
      this.rules.splice(index, 1);
      this.renumber();
      return new Response(null, { status: 204 });
    }
    return undefined;
  };
}

export function apiFor(server: RulesServer, role: Role = "supervisor") {
  const { fetch, calls } = routedFetch(server.route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({
    accessToken: "acc",
    refreshToken: "r",
    expiresAt: Date.now() + 900_000,
    user: { ...t.user, role },
    accounts: [],
  });
  return { api: new ApiClient({ fetch, store }), calls };
}

export function invalid(details: Array<{ field: string; message: string; type: string }>): Response {
  return json({ error: { code: "validation_error", message: "Invalid request.", details } }, 422);
}
