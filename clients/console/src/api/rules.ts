/** Typed calls to the invitation rules endpoints of docs/api.md (Invitation rules): the site's rules, their
 * edits and order, the live preview of a definition and the explanation of a rule for one live visitor. */

import type { Rule, RuleDefinition } from "../lib/rules";
import type { ApiClient } from "./client";
import { call, type Out, type Schema } from "./typed";

export interface PreviewVisitor {
  visitor_id: string;
  current_url: string | null;
  current_title: string | null;
  matched: boolean;
}

export interface Preview {
  /** The site's live visitors. */
  live: number;
  /** How many of them the rule matches now. */
  matching: number;
  /** Matching first; at most 200. */
  visitors: PreviewVisitor[];
}

/** One node of a rule's tree as it came out for a visitor. */
export interface ExplainedNode {
  type: string;
  matched: boolean;
  /** A leaf's parameters (empty for and / or / not). */
  condition: Record<string, unknown>;
  /** The visitor's own value: seconds, a count, a text, a list... */
  value: unknown;
  /** When time alone could change the result (epoch seconds). */
  changes_at: number | null;
  children?: ExplainedNode[];
}

export interface Explained {
  rule_id: string;
  version: number;
  visitor_id: string;
  enabled: boolean;
  matched: boolean;
  caps: { allowed: boolean; reason: string | null };
  tree: ExplainedNode;
}

const site = (siteId: string) => ({ path: { site_id: siteId } });
const rule = (ruleId: string) => ({ path: { rule_id: ruleId } });
/** The definition as the document types it: the editor builds its trees and actions from the catalogue of
 * `lib/rules.ts`, and the server checks them (422 with the path of what is wrong). */
const served = (definition: RuleDefinition) => definition as Schema<"RuleDefinition">;

export function listRules(api: ApiClient, siteId: string): Promise<Rule[]> {
  return call(api, "get", "/api/v1/sites/{site_id}/rules", site(siteId)).then((body) => body.rules as Rule[]);
}

/** What became of one rule's invitations: shown, accepted, closed, expired, chats started, `acceptance_rate`
 * (accepted / shown, null while none was shown), over all its variants and per variant. */
export type RuleStats = Out<"RuleStats">;
export type VariantStats = Out<"VariantCounts">;

/** The counts of each of the site's rules, in the rules' order (supervisors and admins). */
export function ruleStats(api: ApiClient, siteId: string): Promise<RuleStats[]> {
  return call(api, "get", "/api/v1/sites/{site_id}/rules", { path: { site_id: siteId }, query: { stats: true } }).then(
    (body) => body.stats ?? [],
  );
}

export function createRule(api: ApiClient, siteId: string, definition: RuleDefinition): Promise<Rule> {
  const body = served(definition);
  return call(api, "post", "/api/v1/sites/{site_id}/rules", { ...site(siteId), body }) as Promise<Rule>;
}

/** The whole new definition, refused (409 `version_conflict`) if the rule is past `version`. */
export function replaceRule(
  api: ApiClient,
  ruleId: string,
  definition: RuleDefinition,
  version: number,
): Promise<Rule> {
  const body = { ...served(definition), version };
  return call(api, "put", "/api/v1/rules/{rule_id}", { ...rule(ruleId), body }) as Promise<Rule>;
}

export function setEnabled(api: ApiClient, ruleId: string, enabled: boolean, version: number): Promise<Rule> {
  const body = { enabled, version };
  return call(api, "patch", "/api/v1/rules/{rule_id}", { ...rule(ruleId), body }) as Promise<Rule>;
}

export async function deleteRule(api: ApiClient, ruleId: string): Promise<void> {
  await call(api, "delete", "/api/v1/rules/{rule_id}", rule(ruleId));
}

/** The site's rules in their new order. */
export function moveRule(api: ApiClient, ruleId: string, position: number): Promise<Rule[]> {
  return call(api, "post", "/api/v1/rules/{rule_id}/move", { ...rule(ruleId), body: { position } }).then(
    (body) => body.rules as Rule[],
  );
}

export function previewRule(api: ApiClient, siteId: string, definition: RuleDefinition): Promise<Preview> {
  return call(api, "post", "/api/v1/sites/{site_id}/rules/preview", { ...site(siteId), body: served(definition) });
}

export function explainRule(api: ApiClient, ruleId: string, visitorId: string): Promise<Explained> {
  return call(api, "get", "/api/v1/rules/{rule_id}/explain/{visitor_id}", {
    path: { rule_id: ruleId, visitor_id: visitorId },
  }).then((body) => body as typeof body & { tree: ExplainedNode });
}

/** Something a condition names by id (an operator, a queue), with the name a reader knows it by. */
export interface Choice {
  id: string;
  name: string;
}

/** The account's operators as chat knows them (`GET /api/v1/presence`, supervisors and admins). */
export function operatorChoices(api: ApiClient): Promise<Choice[]> {
  return call(api, "get", "/api/v1/presence").then((body) =>
    body.operators.map((o) => ({ id: o.user_id, name: o.name ?? o.user_id })),
  );
}

export function queueChoices(api: ApiClient): Promise<Choice[]> {
  return call(api, "get", "/api/v1/queues").then((body) => body.queues.map((q) => ({ id: q.id, name: q.name })));
}
