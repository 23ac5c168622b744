/** Typed calls to the invitation rules endpoints of docs/api.md (Invitation rules): the site's rules, their
 * edits and order, the live preview of a definition and the explanation of a rule for one live visitor. */

import type { Rule, RuleDefinition } from "../lib/rules";
import type { ApiClient } from "./client";

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

const enc = encodeURIComponent;
const rulePath = (ruleId: string) => `/api/v1/rules/${enc(ruleId)}`;

export function listRules(api: ApiClient, siteId: string): Promise<Rule[]> {
  return api.get<{ rules: Rule[] }>(`/api/v1/sites/${enc(siteId)}/rules`).then((body) => body.rules);
}

export function createRule(api: ApiClient, siteId: string, definition: RuleDefinition): Promise<Rule> {
  return api.post<Rule>(`/api/v1/sites/${enc(siteId)}/rules`, definition);
}

/** The whole new definition, refused (409 `version_conflict`) if the rule is past `version`. */
export function replaceRule(
  api: ApiClient,
  ruleId: string,
  definition: RuleDefinition,
  version: number,
): Promise<Rule> {
  return api.request<Rule>("PUT", rulePath(ruleId), { body: { ...definition, version } });
}

export function setEnabled(api: ApiClient, ruleId: string, enabled: boolean, version: number): Promise<Rule> {
  return api.request<Rule>("PATCH", rulePath(ruleId), { body: { enabled, version } });
}

export function deleteRule(api: ApiClient, ruleId: string): Promise<void> {
  return api.request<unknown>("DELETE", rulePath(ruleId)).then(() => undefined);
}

/** The site's rules in their new order. */
export function moveRule(api: ApiClient, ruleId: string, position: number): Promise<Rule[]> {
  return api.post<{ rules: Rule[] }>(`${rulePath(ruleId)}/move`, { position }).then((body) => body.rules);
}

export function previewRule(api: ApiClient, siteId: string, definition: RuleDefinition): Promise<Preview> {
  return api.post<Preview>(`/api/v1/sites/${enc(siteId)}/rules/preview`, definition);
}

export function explainRule(api: ApiClient, ruleId: string, visitorId: string): Promise<Explained> {
  return api.get<Explained>(`${rulePath(ruleId)}/explain/${enc(visitorId)}`);
}

/** Something a condition names by id (an operator, a queue), with the name a reader knows it by. */
export interface Choice {
  id: string;
  name: string;
}

/** The account's operators as chat knows them (`GET /api/v1/presence`, supervisors and admins). */
export function operatorChoices(api: ApiClient): Promise<Choice[]> {
  return api
    .get<{ operators: Array<{ user_id: string; name: string }> }>("/api/v1/presence")
    .then((body) => body.operators.map((o) => ({ id: o.user_id, name: o.name })));
}

export function queueChoices(api: ApiClient): Promise<Choice[]> {
  return api
    .get<{ queues: Array<{ id: string; name: string }> }>("/api/v1/queues")
    .then((body) => body.queues.map((q) => ({ id: q.id, name: q.name })));
}
