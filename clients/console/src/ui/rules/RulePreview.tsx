import { useState } from "react";
import type { ApiClient } from "../../api/client";
import { explainRule, previewRule, type Explained, type ExplainedNode, type Preview } from "../../api/rules";
import { errorText } from "../../lib/admin";
import { conditionType, type Rule, type RuleDefinition } from "../../lib/rules";

interface Props {
  api: ApiClient;
  siteId: string;
  draft: RuleDefinition;
  /** The saved rule, if any: the "why" is of its saved version. */
  saved?: Rule;
  /** The draft differs from the saved rule. */
  dirty: boolean;
}

/** Which live visitors the draft matches now, and for one of them why the saved rule does or does not. */
export function RulePreview({ api, siteId, draft, saved, dirty }: Props) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [why, setWhy] = useState<Explained | null>(null);
  const [whyError, setWhyError] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setPreview(await previewRule(api, siteId, draft));
    } catch (failure) {
      setError(`Could not preview: ${errorText(failure)}`);
    } finally {
      setBusy(false);
    }
  };
  const explain = async (visitorId: string) => {
    if (!saved) return;
    setWhyError(null);
    try {
      setWhy(await explainRule(api, saved.id, visitorId));
    } catch (failure) {
      setWhy(null);
      setWhyError(`Could not explain: ${errorText(failure)}`);
    }
  };

  return (
    <fieldset className="settings-list rule-preview" data-fw="rule-preview">
      <legend>Live preview</legend>
      <button type="button" data-fw="preview-run" disabled={busy} onClick={() => void run()}>
        {busy ? "Looking…" : preview ? "Look again" : "Which visitors match now?"}
      </button>
      {error && (
        <p className="field-error" role="alert" data-fw="preview-error">
          {error}
        </p>
      )}
      {preview && (
        <>
          <p data-fw="preview-summary">
            {preview.matching} of {preview.live} live visitor{preview.live === 1 ? "" : "s"} match now.
          </p>
          <ul className="preview-list">
            {preview.visitors.map((v) => (
              <li key={v.visitor_id} data-fw="preview-visitor" data-visitor-id={v.visitor_id} data-matched={v.matched}>
                <span className={v.matched ? "match yes" : "match no"}>{v.matched ? "✓" : "✗"}</span>
                <span className="visitor-id" title={v.visitor_id}>
                  {shortId(v.visitor_id)}
                </span>
                <span className="muted url">{v.current_title || v.current_url || "—"}</span>
                {saved && (
                  <button type="button" data-fw="preview-why" onClick={() => void explain(v.visitor_id)}>
                    Why?
                  </button>
                )}
              </li>
            ))}
          </ul>
          {!saved && <p className="muted hint">Save the rule to see why a visitor does or does not match.</p>}
        </>
      )}
      {whyError && (
        <p className="field-error" role="alert" data-fw="why-error">
          {whyError}
        </p>
      )}
      {why && (
        <div className="why" data-fw="why" data-visitor-id={why.visitor_id}>
          <p>
            Visitor {shortId(why.visitor_id)} {why.matched ? "matches" : "does not match"} the saved rule (version{" "}
            {why.version}){dirty ? "; your unsaved changes are not in it" : ""}.
            {why.matched && !why.caps.allowed && ` Its caps hold it back now (${why.caps.reason}).`}
            {!why.enabled && " The rule is disabled: it fires for nobody."}
          </p>
          <ExplainedTree node={why.tree} />
        </div>
      )}
    </fieldset>
  );
}

const BRANCH_TEXT: Record<string, string> = { and: "All of", or: "Any of", not: "Not" };

function ExplainedTree({ node }: { node: ExplainedNode }) {
  const branch = BRANCH_TEXT[node.type];
  return (
    <div
      className={node.matched ? "why-node yes" : "why-node no"}
      data-fw="why-node"
      data-type={node.type}
      data-matched={node.matched}
    >
      <span className="match">{node.matched ? "✓" : "✗"}</span>{" "}
      {branch ? (
        <strong>{branch}</strong>
      ) : (
        <>
          <span>{conditionType(node.type)?.label ?? node.type}</span>{" "}
          <span className="muted">{describe(node.condition)}</span>
          {" — "}
          <span data-fw="why-value">{shown(node.value, node.condition)}</span>
        </>
      )}
      {node.children && (
        <ul>
          {node.children.map((child, i) => (
            <li key={i}>
              <ExplainedTree node={child} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const OP_TEXT: Record<string, string> = {
  ge: "≥",
  gt: ">",
  le: "≤",
  lt: "<",
  eq: "=",
  neq: "≠",
  in: "one of",
  not_in: "none of",
};

/** A leaf's parameters in a line: `section Informática, ≥ 3 min 0 s`. */
function describe(condition: Record<string, unknown>): string {
  return Object.entries(condition)
    .filter(([k, v]) => v !== null && v !== undefined && v !== false && k !== "case_sensitive")
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => {
      if (k === "op") return OP_TEXT[String(v)] ?? String(v).replace(/_/g, " ");
      if ((k === "seconds" || k === "within_seconds") && typeof v === "number") return duration(v);
      if (k === "value") return Array.isArray(v) ? v.join(", ") : String(v);
      return `${k.replace(/_/g, " ")} ${Array.isArray(v) ? v.join(", ") : String(v)}`;
    })
    .join(" ");
}

/** The end of an id: ids made at nearly the same time share their start. */
const shortId = (id: string) => (id.length > 8 ? `…${id.slice(-8)}` : id);

/** What the condition found now, as a reader takes it: a duration in its units, a list, a text. */
export function shown(value: unknown, condition: Record<string, unknown> = {}): string {
  if (value === null || value === undefined) return "now: unknown";
  if (Array.isArray(value)) return `now: ${value.length ? value.join(", ") : "none"}`;
  if (typeof value === "number" && ("seconds" in condition || "within_seconds" in condition))
    return `now: ${duration(value)}`;
  return `now: ${String(value)}`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  if (s < 86_400) return s % 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : `${s / 3600} h`;
  return `${Math.floor(s / 86_400)} days`;
}
