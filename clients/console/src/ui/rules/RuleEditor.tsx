import { useEffect, useMemo, useState } from "react";
import { ApiError, type ApiClient } from "../../api/client";
import { createRule, replaceRule } from "../../api/rules";
import { errorText } from "../../lib/admin";
import {
  definitionOf,
  type FieldProblem,
  fieldKey,
  locate,
  type Node,
  type NodePath,
  problemText,
  type Rule,
  type RuleDefinition,
  update,
} from "../../lib/rules";
import { ActionsEditor, CapsEditor } from "./ActionsEditor";
import { ConditionNode, type TreeProblems } from "./ConditionTree";
import { FieldError } from "./inputs";
import { RulePreview } from "./RulePreview";

interface Props {
  api: ApiClient;
  siteId: string;
  /** The rule edited; a new one when absent. */
  rule?: Rule;
  initial: RuleDefinition;
  onSaved: (rule: Rule) => void;
  onCancel: () => void;
}

interface Problems {
  tree: TreeProblems;
  other: Record<string, string>;
}

const PLACED =
  /^(name|actions\.\d+\.(text|delay_s|message|tag|operator_id|variants(\.\d+\.(key|text|split))?)|caps\.\w+)$/;

/** A 422's fields where the editor shows them: by node of the tree, else by field of the rule. */
export function placeProblems(rule: RuleDefinition, details: FieldProblem[]): Problems {
  const tree: TreeProblems = {};
  const other: Record<string, string> = {};
  for (const problem of details) {
    const where = locate(rule, problem.field);
    if (where.node) {
      const node = (tree[where.node.join(".")] ??= {});
      node[where.field] = node[where.field] ? `${node[where.field]} ${problemText(problem)}` : problemText(problem);
    } else {
      other[fieldKey(problem.field)] = problemText(problem);
    }
  }
  return { tree, other };
}

/** The editor of one rule: its name, its conditions as a tree, what it does, its caps; saved as a whole. */
export function RuleEditor({ api, siteId, rule, initial, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState<RuleDefinition>(initial);
  const [generation, setGeneration] = useState(0);
  const [problems, setProblems] = useState<Problems>({ tree: {}, other: {} });
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const dirty = useMemo(() => JSON.stringify(draft) !== JSON.stringify(initial), [draft, initial]);
  // Enabled or disabled from the list meanwhile: the draft follows (a save would otherwise undo it).
  const enabledNow = rule?.enabled;
  useEffect(() => {
    if (enabledNow !== undefined) setDraft((d) => (d.enabled === enabledNow ? d : { ...d, enabled: enabledNow }));
  }, [enabledNow]);

  const edit = (path: NodePath, change: (node: Node) => Node | null, structural = false) => {
    setDraft((d) => ({ ...d, conditions: update(d.conditions, path, change) }));
    if (structural) {
      setGeneration((g) => g + 1);
      setProblems((p) => ({ ...p, tree: {} })); // the paths of the old problems no longer name the same nodes
    }
  };

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const saved = rule ? await replaceRule(api, rule.id, draft, rule.version) : await createRule(api, siteId, draft);
      setProblems({ tree: {}, other: {} });
      setDraft(definitionOf(saved)); // as the server keeps it (its defaults filled in)
      setGeneration((g) => g + 1);
      onSaved(saved);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422 && Array.isArray(failure.details)) {
        setProblems(placeProblems(draft, failure.details as FieldProblem[]));
        setError("The rule was not saved: see the fields marked.");
      } else {
        setError(`The rule was not saved: ${errorText(failure)}`);
      }
    } finally {
      setSaving(false);
    }
  };

  const unplaced = Object.entries(problems.other).filter(([field]) => !PLACED.test(field));
  return (
    <section className="rule-editor" data-fw="rule-editor" data-rule-id={rule?.id ?? ""}>
      <div className="settings-row">
        <label>
          Name
          <input
            type="text"
            data-fw="rule-name"
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          />
        </label>
        <FieldError message={problems.other.name} fw="rule-name" />
        <label>
          <input
            type="checkbox"
            data-fw="rule-enabled"
            checked={draft.enabled}
            onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })}
          />
          Enabled
        </label>
      </div>
      <fieldset className="settings-list rule-conditions" data-fw="rule-conditions">
        <legend>When</legend>
        <ConditionNode
          key={generation}
          node={draft.conditions}
          path={[]}
          generation={generation}
          problems={problems.tree}
          edit={edit}
          inBranch={false}
          level={0}
        />
      </fieldset>
      <ActionsEditor
        actions={draft.actions}
        problems={problems.other}
        onChange={(actions) => setDraft({ ...draft, actions })}
      />
      <CapsEditor caps={draft.caps} problems={problems.other} onChange={(caps) => setDraft({ ...draft, caps })} />
      {unplaced.length > 0 && (
        <ul className="rule-problems" data-fw="rule-problems">
          {unplaced.map(([field, message]) => (
            <li key={field} className="field-error" role="alert">
              {field ? `${field}: ` : ""}
              {message}
            </li>
          ))}
        </ul>
      )}
      <div className="settings-actions">
        <button type="button" data-fw="rule-save" disabled={saving} onClick={() => void save()}>
          {saving ? "Saving…" : rule ? "Save changes" : "Create rule"}
        </button>
        <button type="button" data-fw="rule-cancel" onClick={onCancel}>
          {dirty ? "Discard changes" : "Close"}
        </button>
        {error && (
          <span className="field-error" role="alert" data-fw="rule-save-error">
            {error}
          </span>
        )}
      </div>
      <RulePreview api={api} siteId={siteId} draft={draft} saved={rule} dirty={dirty} />
    </section>
  );
}
