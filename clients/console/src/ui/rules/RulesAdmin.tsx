import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import { deleteRule, listRules, moveRule, ruleStats, setEnabled, type RuleStats } from "../../api/rules";
import { errorText } from "../../lib/admin";
import { definitionOf, newRule, type Rule } from "../../lib/rules";
import { ChoicesProvider, useRuleChoices } from "./choices";
import { RuleCounts } from "./RuleCounts";
import { RuleEditor } from "./RuleEditor";
import { loadError, useSites } from "../hooks";
import "./rules.css";

const NEW_RULE = newRule();

/** Invitation rules (supervisors and admins): a site's rules in the order they are evaluated, each enabled
 * or not, moved, deleted, or opened in the editor; and new ones. */
export function RulesAdmin({ api }: { api: ApiClient }) {
  const cache = useQueryClient();
  const [failure, setError] = useState<string | null>(null);
  const { sites, siteId, setSiteId, sitesError } = useSites(api, errorText);
  const enabled = !!siteId;
  const listed = useQuery({ queryKey: keys.rules(siteId), queryFn: () => listRules(api, siteId), enabled });
  const rules = listed.data;
  const setRules = (update: Rule[] | ((list?: Rule[]) => Rule[] | undefined)) =>
    void cache.setQueryData<Rule[]>(keys.rules(siteId), update);
  const load = () => cache.invalidateQueries({ queryKey: keys.rules(siteId) }); // the rules and their counts
  // What became of each rule's invitations (by rule id); read with the list, left out if it cannot be read.
  const counted = useQuery({ queryKey: keys.ruleStats(siteId), queryFn: () => ruleStats(api, siteId), enabled });
  const stats = Object.fromEntries((counted.data ?? []).map((s) => [s.rule_id, s] as const));
  const error = failure ?? sitesError ?? loadError("the rules", listed.error);
  // The rule open in the editor (its id; "new": one not saved yet), shown as the list has it now.
  const [editing, setEditing] = useState<string | null>(null);
  const choices = useRuleChoices(api, siteId);

  const act = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(errorText(failure));
      await load(); // another editor may have changed the rules meanwhile
    }
  };
  const edited = editing && editing !== "new" ? rules?.find((r) => r.id === editing) : undefined;
  const replace = (rule: Rule) => setRules((list) => list && list.map((r) => (r.id === rule.id ? rule : r)));

  return (
    <main className="settings admin rules-admin" data-fw="rules-admin" aria-label="Rules">
      <header className="settings-header">
        <h1>Invitation rules</h1>
        {sites && sites.length > 1 && (
          <select
            aria-label="Site"
            data-fw="rules-site"
            value={siteId}
            onChange={(e) => {
              setSiteId(e.target.value);
              setEditing(null);
            }}
          >
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
      </header>
      {error && (
        <p className="error" role="alert" data-fw="rules-error">
          {error}
        </p>
      )}
      {sites && sites.length === 0 && <p className="empty">This account has no sites yet.</p>}
      {siteId && !rules && !error && <p className="muted">Loading…</p>}
      {rules && (
        <>
          <p className="muted hint">
            Evaluated from the top: the first rule that matches and may fire invites the visitor.
          </p>
          <ol className="rule-list" data-fw="rule-list">
            {rules.map((rule, i) => (
              <RuleRow
                key={rule.id}
                rule={rule}
                stats={stats[rule.id]}
                first={i === 0}
                last={i === rules.length - 1}
                current={editing === rule.id}
                onToggle={(enabled) => act(async () => replace(await setEnabled(api, rule.id, enabled, rule.version)))}
                onMove={(by) => act(async () => setRules(await moveRule(api, rule.id, rule.position + by)))}
                onDelete={() =>
                  act(async () => {
                    await deleteRule(api, rule.id);
                    if (editing === rule.id) setEditing(null);
                    await load();
                  })
                }
                onEdit={() => setEditing(rule.id)}
              />
            ))}
          </ol>
          {rules.length === 0 && <p className="empty">No rules yet: visitors are invited only by operators.</p>}
          {editing === null && (
            <button type="button" data-fw="rule-new" onClick={() => setEditing("new")}>
              New rule
            </button>
          )}
        </>
      )}
      {(editing === "new" || edited) && (
        <ChoicesProvider value={choices}>
          <RuleEditor
            key={editing}
            api={api}
            siteId={siteId}
            rule={edited}
            initial={edited ? definitionOf(edited) : NEW_RULE}
            onSaved={(saved) => {
              setRules((list) =>
                list && list.some((r) => r.id === saved.id)
                  ? list.map((r) => (r.id === saved.id ? saved : r))
                  : [...(list ?? []), saved],
              );
              setEditing(saved.id);
            }}
            onCancel={() => setEditing(null)}
          />
        </ChoicesProvider>
      )}
    </main>
  );
}

interface RowProps {
  rule: Rule;
  stats?: RuleStats;
  first: boolean;
  last: boolean;
  current: boolean;
  onToggle: (enabled: boolean) => void;
  onMove: (by: -1 | 1) => void;
  onDelete: () => void;
  onEdit: () => void;
}

function RuleRow({ rule, stats, first, last, current, onToggle, onMove, onDelete, onEdit }: RowProps) {
  const [confirming, setConfirming] = useState(false);
  const does = rule.actions.some((a) => a.type === "open_chat")
    ? "opens the chat"
    : rule.actions.some((a) => a.type === "show_invitation")
      ? "invites"
      : "acts";
  const abTest = rule.actions.some((a) => a.type === "show_invitation" && (a.variants?.length ?? 0) > 0);
  return (
    <li
      className={current ? "rule-row current" : "rule-row"}
      data-fw="rule-row"
      data-rule-id={rule.id}
      data-enabled={rule.enabled}
    >
      <label className="rule-toggle">
        <input
          type="checkbox"
          data-fw="rule-toggle"
          aria-label={`${rule.name} enabled`}
          checked={rule.enabled}
          onChange={(e) => onToggle(e.target.checked)}
        />
      </label>
      <button type="button" className="rule-name link" data-fw="rule-edit" onClick={onEdit}>
        {rule.name}
      </button>
      <span className="muted">{does}</span>
      {stats && <RuleCounts stats={stats} abTest={abTest} />}
      <span className="spacer" />
      <button
        type="button"
        data-fw="rule-up"
        aria-label={`Move ${rule.name} up`}
        disabled={first}
        onClick={() => onMove(-1)}
      >
        ↑
      </button>
      <button
        type="button"
        data-fw="rule-down"
        aria-label={`Move ${rule.name} down`}
        disabled={last}
        onClick={() => onMove(1)}
      >
        ↓
      </button>
      {confirming ? (
        <span className="confirm" role="alertdialog" aria-label={`Delete ${rule.name}`} data-fw="rule-delete-confirm">
          Delete this rule?
          <button
            type="button"
            className="danger"
            data-fw="rule-delete-yes"
            onClick={() => {
              setConfirming(false);
              onDelete();
            }}
          >
            Delete
          </button>
          <button type="button" data-fw="rule-delete-cancel" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" className="danger" data-fw="rule-delete" onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
    </li>
  );
}
