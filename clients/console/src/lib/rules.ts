/**
 * Invitation rules as the rules API takes them (docs/api.md, Rules; the server's model is
 * services/rules/engine): the condition tree, its catalogue of condition types for the editor, edits of
 * the tree by path, and the server's 422 field paths mapped back to the node they name.
 */

export type Node = Branch | NotNode | Leaf;
export interface Branch {
  type: "and" | "or";
  conditions: Node[];
}
export interface NotNode {
  type: "not";
  condition: Node;
}
export interface Leaf {
  type: string;
  [field: string]: unknown;
}

export interface Variant {
  key: string;
  text: string;
  split: number;
}
export type Action =
  | { type: "show_invitation"; text: string; operator_id?: string | null; delay_s?: number; variants?: Variant[] }
  | { type: "open_chat"; delay_s?: number; message?: string | null }
  | { type: "notify_operators"; highlight?: boolean; sound?: boolean }
  | { type: "route_to_queue"; queue_id: string }
  | { type: "tag_visitor"; tag: string };

export interface Caps {
  once_per_visit?: boolean;
  max_shows?: number | null;
  not_again_days?: number | null;
  never_while_chatting?: boolean;
  hours_after_chat?: number | null;
  not_after_closed_this_visit?: boolean;
}

export interface RuleDefinition {
  name: string;
  enabled: boolean;
  conditions: Node;
  actions: Action[];
  caps: Caps;
}

export interface Rule extends RuleDefinition {
  id: string;
  site_id: string;
  position: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export const MAX_DEPTH = 8; // and / or / not levels, as the server allows

// --- the catalogue ---------------------------------------------------------------------------------------

/** What a field names, for the editor to offer a choice of (the site's sections, the account's queues or
 * operators) rather than a typed name or id. */
export type Pick = "section" | "queue" | "operators";

export type FieldSpec =
  | { kind: "seconds"; name: string; label: string }
  | { kind: "count"; name: string; label: string }
  | { kind: "number"; name: string; label: string; min?: number; max?: number }
  | { kind: "text"; name: string; label: string; optional?: boolean; placeholder?: string; pick?: Pick }
  | {
      kind: "select";
      name: string;
      label: string;
      options: readonly (readonly [string, string])[];
      /** The options are "true" / "false" and the field a boolean. */
      boolean?: boolean;
    }
  | { kind: "bool"; name: string; label: string }
  | { kind: "multi"; name: string; label: string; options: readonly (readonly [string, string])[] }
  | { kind: "list"; name: string; label: string; placeholder?: string; pick?: Pick }
  | { kind: "textTest" }
  | { kind: "attributeTest" };

export interface ConditionType {
  type: string;
  label: string;
  group: string;
  fields: readonly FieldSpec[];
  /** A new condition of this type, as the editor adds it. */
  make: () => Leaf;
}

export const DURATION_OPS = [
  ["ge", "at least"],
  ["gt", "more than"],
  ["le", "at most"],
  ["lt", "less than"],
] as const;
export const NUMBER_OPS = [
  ["ge", "at least"],
  ["gt", "more than"],
  ["eq", "exactly"],
  ["neq", "not"],
  ["le", "at most"],
  ["lt", "less than"],
] as const;
export const TEXT_OPS = [
  ["eq", "is"],
  ["neq", "is not"],
  ["contains", "contains"],
  ["not_contains", "does not contain"],
  ["starts_with", "starts with"],
  ["ends_with", "ends with"],
  ["in", "is one of"],
  ["not_in", "is none of"],
  ["regex", "matches (RE2)"],
  ["exists", "is known"],
  ["not_exists", "is unknown"],
] as const;
export const ATTRIBUTE_OPS = [
  ["eq", "is"],
  ["neq", "is not"],
  ["gt", "more than"],
  ["ge", "at least"],
  ["lt", "less than"],
  ["le", "at most"],
  ["contains", "contains"],
  ["in", "is one of"],
  ["not_in", "is none of"],
  ["regex", "matches (RE2)"],
  ["exists", "is set"],
  ["not_exists", "is not set"],
] as const;
const ARRIVALS = [
  ["direct", "direct"],
  ["search", "a search engine"],
  ["social", "a social network"],
  ["campaign", "a campaign"],
  ["referral", "another site"],
  ["internal", "the site itself"],
] as const;

export const LIST_OPS = new Set(["in", "not_in"]);
export const NO_VALUE_OPS = new Set(["exists", "not_exists"]);
const NUMERIC_OPS = new Set(["lt", "le", "gt", "ge"]);

const duration = (op: readonly (readonly [string, string])[] = DURATION_OPS): FieldSpec[] => [
  { kind: "select", name: "op", label: "is", options: op },
  { kind: "seconds", name: "seconds", label: "" },
];
const count = (label = ""): FieldSpec[] => [
  { kind: "select", name: "op", label: "is", options: NUMBER_OPS },
  { kind: "count", name: "value", label },
];
const textTest = (type: string, label: string, group: string, extra: FieldSpec[] = [], more = {}): ConditionType => ({
  type,
  label,
  group,
  fields: [...extra, { kind: "textTest" }],
  make: () => ({ type, ...more, op: "eq", value: "" }),
});

export const CONDITION_TYPES: readonly ConditionType[] = [
  // time: these become true while the visitor just stays
  {
    type: "time_on_site",
    label: "Time on site",
    group: "Time",
    fields: duration(),
    make: () => ({ type: "time_on_site", op: "ge", seconds: 60 }),
  },
  {
    type: "time_on_page",
    label: "Time on the page",
    group: "Time",
    fields: duration(),
    make: () => ({ type: "time_on_page", op: "ge", seconds: 30 }),
  },
  {
    type: "time_in_section",
    label: "Time in a section",
    group: "Time",
    fields: [
      { kind: "text", name: "section", label: "section", placeholder: "Informática (IT)", pick: "section" },
      ...duration(),
      {
        kind: "select",
        name: "scope",
        label: "counting",
        options: [
          ["stay", "this stay"],
          ["visit", "the whole visit"],
        ],
      },
    ],
    make: () => ({ type: "time_in_section", section: "", op: "ge", seconds: 180, scope: "stay" }),
  },
  {
    type: "idle",
    label: "Idle (no activity)",
    group: "Time",
    fields: duration(),
    make: () => ({ type: "idle", op: "ge", seconds: 30 }),
  },
  {
    type: "last_visit",
    label: "Time since the last visit",
    group: "Time",
    fields: [...duration(), { kind: "bool", name: "if_never", label: "true on a first visit" }],
    make: () => ({ type: "last_visit", op: "ge", seconds: 86_400, if_never: false }),
  },
  {
    type: "last_chat",
    label: "Time since the last chat",
    group: "Time",
    fields: [...duration(), { kind: "bool", name: "if_never", label: "true if never chatted" }],
    make: () => ({ type: "last_chat", op: "ge", seconds: 86_400, if_never: true }),
  },
  {
    type: "exit_intent",
    label: "About to leave (exit intent)",
    group: "Time",
    fields: [{ kind: "seconds", name: "within_seconds", label: "within the last" }],
    make: () => ({ type: "exit_intent", within_seconds: 10 }),
  },
  // behaviour
  {
    type: "pages_viewed",
    label: "Pages viewed",
    group: "Behaviour",
    fields: [
      ...count(),
      {
        kind: "select",
        name: "scope",
        label: "in",
        options: [
          ["visit", "this visit"],
          ["all", "all visits"],
        ],
      },
    ],
    make: () => ({ type: "pages_viewed", op: "ge", value: 5, scope: "visit" }),
  },
  {
    type: "pages_in_section",
    label: "Pages viewed in a section",
    group: "Behaviour",
    fields: [{ kind: "text", name: "section", label: "section", pick: "section" }, ...count()],
    make: () => ({ type: "pages_in_section", section: "", op: "ge", value: 3 }),
  },
  {
    type: "visit_count",
    label: "Number of visits",
    group: "Behaviour",
    fields: count(),
    make: () => ({ type: "visit_count", op: "ge", value: 2 }),
  },
  {
    type: "returning",
    label: "New or returning",
    group: "Behaviour",
    fields: [
      {
        kind: "select",
        name: "value",
        label: "the visitor is",
        boolean: true,
        options: [
          ["true", "returning"],
          ["false", "new"],
        ],
      },
    ],
    make: () => ({ type: "returning", value: true }),
  },
  {
    type: "site_event",
    label: "Site event (JS API)",
    group: "Behaviour",
    fields: [
      { kind: "text", name: "name", label: "event", placeholder: "added_to_cart" },
      ...count("times"),
      { kind: "seconds", name: "within_seconds", label: "within" },
    ],
    make: () => ({ type: "site_event", name: "", op: "ge", value: 1, within_seconds: 3600 }),
  },
  {
    type: "products_viewed",
    label: "Products viewed",
    group: "Behaviour",
    fields: count(),
    make: () => ({ type: "products_viewed", op: "ge", value: 1 }),
  },
  {
    type: "searches",
    label: "Searches on the site",
    group: "Behaviour",
    fields: count(),
    make: () => ({ type: "searches", op: "ge", value: 1 }),
  },
  // the page and how they came
  textTest("current_url", "Current URL", "Page"),
  textTest("current_title", "Current page title", "Page"),
  textTest("current_section", "Current section", "Page"),
  textTest("referrer", "Referrer", "Page"),
  textTest("search_keywords", "Search engine keywords", "Page"),
  {
    type: "arrived_via",
    label: "Arrived via",
    group: "Page",
    fields: [{ kind: "multi", name: "kinds", label: "any of", options: ARRIVALS }],
    make: () => ({ type: "arrived_via", kinds: ["search"] }),
  },
  textTest(
    "utm",
    "UTM parameter",
    "Page",
    [
      {
        kind: "select",
        name: "field",
        label: "",
        options: ["source", "medium", "campaign", "term", "content"].map((f) => [f, `utm_${f}`] as const),
      },
    ],
    { field: "campaign" },
  ),
  // who the visitor is
  textTest("country", "Country (code or name)", "Visitor"),
  textTest("region", "Region", "Visitor"),
  textTest("city", "City", "Visitor"),
  textTest(
    "device",
    "Device",
    "Visitor",
    [
      {
        kind: "select",
        name: "field",
        label: "",
        options: [
          ["class", "type (desktop, mobile, tablet)"],
          ["browser", "browser"],
          ["os", "operating system"],
        ],
      },
    ],
    { field: "class" },
  ),
  textTest("segment", "Segment", "Visitor"),
  {
    type: "attribute",
    label: "Custom attribute",
    group: "Visitor",
    fields: [
      { kind: "text", name: "name", label: "attribute", placeholder: "orders_count" },
      { kind: "attributeTest" },
    ],
    make: () => ({ type: "attribute", name: "", op: "eq", value: "" }),
  },
  // the world around the visitor
  {
    type: "operators_online",
    label: "Operators online",
    group: "Operators and hours",
    fields: [
      {
        kind: "list",
        name: "operator_ids",
        label: "any of (empty: anyone)",
        placeholder: "operator ids, comma separated",
        pick: "operators",
      },
    ],
    make: () => ({ type: "operators_online", operator_ids: [] }),
  },
  {
    type: "operator_free",
    label: "An operator has room for a chat",
    group: "Operators and hours",
    fields: [{ kind: "text", name: "queue_id", label: "in queue (empty: anywhere)", optional: true, pick: "queue" }],
    make: () => ({ type: "operator_free", queue_id: null }),
  },
  {
    type: "business_hours",
    label: "A queue's business hours",
    group: "Operators and hours",
    fields: [
      { kind: "text", name: "queue_id", label: "queue", pick: "queue" },
      {
        kind: "select",
        name: "open",
        label: "",
        boolean: true,
        options: [
          ["true", "while open"],
          ["false", "while closed"],
        ],
      },
    ],
    make: () => ({ type: "business_hours", queue_id: "", open: true }),
  },
];

const BY_TYPE = new Map(CONDITION_TYPES.map((c) => [c.type, c]));

export function conditionType(type: string): ConditionType | undefined {
  return BY_TYPE.get(type);
}

export function isBranch(node: Node): node is Branch {
  return node.type === "and" || node.type === "or";
}

export function isNot(node: Node): node is NotNode {
  return node.type === "not";
}

// --- the tree, edited by path ----------------------------------------------------------------------------

/** Where a node is: the child indexes from the root (a `not`'s only child is index 0). */
export type NodePath = readonly number[];

export function childrenOf(node: Node): Node[] {
  if (isBranch(node)) return node.conditions;
  if (isNot(node)) return [node.condition];
  return [];
}

function withChildren(node: Node, children: Node[]): Node {
  if (isBranch(node)) return { ...node, conditions: children };
  if (isNot(node)) return { ...node, condition: children[0] };
  return node;
}

export function nodeAt(root: Node, path: NodePath): Node | undefined {
  let node: Node | undefined = root;
  for (const index of path) node = node ? childrenOf(node)[index] : undefined;
  return node;
}

/** The tree with the node at `path` replaced by `change(node)`; `null` removes it from its branch. */
export function update(root: Node, path: NodePath, change: (node: Node) => Node | null): Node {
  if (path.length === 0) return change(root) ?? root;
  const [index, ...rest] = path;
  const children = childrenOf(root);
  const child = children[index];
  if (!child) return root;
  if (rest.length > 0) {
    return withChildren(
      root,
      children.map((c, i) => (i === index ? update(c, rest, change) : c)),
    );
  }
  const next = change(child);
  if (next === null) {
    if (isNot(root)) return root; // a `not` keeps its child: remove the `not` itself instead
    return withChildren(
      root,
      children.filter((_, i) => i !== index),
    );
  }
  return withChildren(
    root,
    children.map((c, i) => (i === index ? next : c)),
  );
}

export function addChild(root: Node, path: NodePath, child: Node): Node {
  return update(root, path, (node) => (isBranch(node) ? { ...node, conditions: [...node.conditions, child] } : node));
}

/** `not X` for X, and X again for `not X`. */
export function toggleNot(node: Node): Node {
  return isNot(node) ? node.condition : { type: "not", condition: node };
}

/** A condition becomes a group holding it (to add siblings of another kind: "A and (B or C)"). */
export function wrapInGroup(node: Node, type: "and" | "or"): Node {
  return { type, conditions: [node] };
}

export function depth(node: Node): number {
  const below = childrenOf(node).map(depth);
  return (isBranch(node) || isNot(node) ? 1 : 0) + (below.length ? Math.max(...below) : 0);
}

// --- values the inputs show and give ------------------------------------------------------------------

export function listText(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : typeof value === "string" ? value : "";
}

export function parseList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A text test's `value` for its op: a list for in / not_in, nothing for exists, else the text. */
export function textValue(op: string, text: string): string | string[] | null {
  if (NO_VALUE_OPS.has(op)) return null;
  if (LIST_OPS.has(op)) return parseList(text);
  return text;
}

/** An attribute test's `value`: as a text test's, but a number for the comparisons (and a numeric text for eq/neq). */
export function attributeValue(op: string, text: string): string | number | boolean | (string | number)[] | null {
  if (NO_VALUE_OPS.has(op)) return null;
  const scalar = (s: string): string | number => (s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : s);
  if (LIST_OPS.has(op)) return parseList(text).map(scalar);
  if (NUMERIC_OPS.has(op)) return scalar(text);
  if (op === "eq" || op === "neq") {
    if (text === "true" || text === "false") return text === "true";
    return scalar(text);
  }
  return text;
}

export const SECOND_UNITS = [
  [86_400, "days"],
  [3600, "hours"],
  [60, "minutes"],
  [1, "seconds"],
] as const;

/** The largest unit that shows `seconds` as a whole number (3 minutes, not 180 seconds). */
export function bestUnit(seconds: number): number {
  for (const [unit] of SECOND_UNITS) if (seconds > 0 && seconds % unit === 0) return unit;
  return 1;
}

// --- the server's 422s ----------------------------------------------------------------------------------

export interface FieldProblem {
  field: string;
  message: string;
  type?: string;
}

/** Where a 422's field path (`conditions.and.conditions.0.idle.minutes`) points in the rule: the node's
 * path (null when the problem is not in the conditions) and the field of that node. Pydantic names each
 * union member it tried (`and`, `idle`) in the path: those parts are read against the tree as it is. */
export function locate(rule: RuleDefinition, field: string): { node: NodePath | null; field: string } {
  const parts = field.split(".");
  if (parts[0] !== "conditions") return { node: null, field };
  const path: number[] = [];
  let node: Node | undefined = rule.conditions;
  let i = 1;
  while (node && i < parts.length) {
    if (parts[i] === node.type) i += 1; // the union member's tag
    if (isBranch(node) && parts[i] === "conditions" && /^\d+$/.test(parts[i + 1] ?? "")) {
      const index = Number(parts[i + 1]);
      path.push(index);
      node = node.conditions[index];
      i += 2;
    } else if (isNot(node) && parts[i] === "condition") {
      path.push(0);
      node = node.condition;
      i += 1;
    } else {
      break;
    }
  }
  return { node: path, field: parts.slice(i).join(".") };
}

/** Where a 422's field outside the conditions belongs: `actions.0.show_invitation.text` is the text of the
 * first action (`actions.0.text`; Pydantic names the action's type in the path), `caps.max_shows` a cap. */
export function fieldKey(field: string): string {
  const parts = field.split(".");
  if (parts[0] === "actions" && /^\d+$/.test(parts[1] ?? "") && /^[a-z_]+$/.test(parts[2] ?? "") && parts.length > 2) {
    return [parts[0], parts[1], ...parts.slice(3)].join(".");
  }
  return field;
}

/** Pydantic's messages say "Value error, ..." for a validator's error: the reader needs only the rest. */
export function problemText(problem: FieldProblem): string {
  return problem.message.replace(/^Value error, /, "");
}

export function samePath(a: NodePath | null, b: NodePath): boolean {
  return a !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}

// --- new rules -------------------------------------------------------------------------------------------

/** A new rule: the reference example of the spec (ENG-6) to start from, disabled until saved on purpose. */
export function newRule(): RuleDefinition {
  return {
    name: "New rule",
    enabled: false,
    conditions: {
      type: "and",
      conditions: [
        { type: "time_in_section", section: "", op: "ge", seconds: 180, scope: "stay" },
        { type: "operators_online", operator_ids: [] },
        { type: "pages_viewed", op: "ge", value: 5, scope: "visit" },
      ],
    },
    actions: [{ type: "show_invitation", text: "Can I help you choose?", delay_s: 0 }],
    caps: { once_per_visit: true, never_while_chatting: true, not_after_closed_this_visit: true },
  };
}

/** The definition of a stored rule: what a `PUT` takes back. */
export function definitionOf(rule: Rule): RuleDefinition {
  const { name, enabled, conditions, actions, caps } = rule;
  return { name, enabled, conditions, actions, caps };
}
