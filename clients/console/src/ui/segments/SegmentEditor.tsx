import { useMemo, useState } from "react";
import { ApiError, type ApiClient } from "../../api/client";
import {
  createSegment,
  definitionOf,
  replaceSegment,
  type Segment,
  type SegmentDefinition,
} from "../../api/segments";
import { errorText } from "../../lib/admin";
import { type FieldProblem, locate, type Node, type NodePath, problemText, update } from "../../lib/rules";
import { ConditionNode, type TreeProblems } from "../rules/ConditionTree";
import { FieldError } from "../rules/inputs";
import { SegmentPreview } from "./SegmentPreview";

interface Props {
  api: ApiClient;
  /** The segment edited; a new one when absent. */
  segment?: Segment;
  initial: SegmentDefinition;
  onSaved: (segment: Segment) => void;
  onCancel: () => void;
}

interface Problems {
  tree: TreeProblems;
  other: Record<string, string>;
}

/** A 422's fields where the editor shows them: by node of the tree (as the rules editor places them), else
 * by field of the segment (`name`, `description`). */
export function placeSegmentProblems(definition: SegmentDefinition, details: FieldProblem[]): Problems {
  const asRule = { name: definition.name, enabled: true, conditions: definition.conditions, actions: [], caps: {} };
  const tree: TreeProblems = {};
  const other: Record<string, string> = {};
  for (const problem of details) {
    const where = locate(asRule, problem.field);
    if (where.node) {
      const node = (tree[where.node.join(".")] ??= {});
      node[where.field] = node[where.field] ? `${node[where.field]} ${problemText(problem)}` : problemText(problem);
    } else {
      other[problem.field] = problemText(problem);
    }
  }
  return { tree, other };
}

/** The editor of one segment: its name, a description, and who is in it as a condition tree (the rules
 * editor's), with a live preview of the visitors it matches now; saved as a whole. */
export function SegmentEditor({ api, segment, initial, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState<SegmentDefinition>(initial);
  const [generation, setGeneration] = useState(0);
  const [problems, setProblems] = useState<Problems>({ tree: {}, other: {} });
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const dirty = useMemo(() => JSON.stringify(draft) !== JSON.stringify(initial), [draft, initial]);

  const edit = (path: NodePath, change: (node: Node) => Node | null, structural = false) => {
    setDraft((d) => ({ ...d, conditions: update(d.conditions, path, change) }));
    if (structural) {
      setGeneration((g) => g + 1);
      setProblems((p) => ({ ...p, tree: {} }));
    }
  };

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const saved = segment
        ? await replaceSegment(api, segment.id, draft, segment.version)
        : await createSegment(api, draft);
      setProblems({ tree: {}, other: {} });
      setDraft(definitionOf(saved));
      setGeneration((g) => g + 1);
      onSaved(saved);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422 && Array.isArray(failure.details)) {
        setProblems(placeSegmentProblems(draft, failure.details as FieldProblem[]));
        setError("The segment was not saved: see the fields marked.");
      } else {
        setError(`The segment was not saved: ${errorText(failure)}`);
      }
    } finally {
      setSaving(false);
    }
  };

  const unplaced = Object.entries(problems.other).filter(([field]) => field !== "name" && field !== "description");
  return (
    <section className="rule-editor segment-editor" data-fw="segment-editor" data-segment-id={segment?.id ?? ""}>
      <div className="settings-row">
        <label>
          Name
          <input
            type="text"
            data-fw="segment-name"
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          />
        </label>
        <FieldError message={problems.other.name} fw="segment-name" />
        <label>
          Description
          <input
            type="text"
            data-fw="segment-description"
            value={draft.description}
            onChange={(e) => setDraft({ ...draft, description: e.target.value })}
          />
        </label>
        <FieldError message={problems.other.description} fw="segment-description" />
      </div>
      <fieldset className="settings-list rule-conditions" data-fw="segment-conditions">
        <legend>Visitors who</legend>
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
      {unplaced.length > 0 && (
        <ul className="rule-problems" data-fw="segment-problems">
          {unplaced.map(([field, message]) => (
            <li key={field} className="field-error" role="alert">
              {field ? `${field}: ` : ""}
              {message}
            </li>
          ))}
        </ul>
      )}
      <div className="settings-actions">
        <button type="button" data-fw="segment-save" disabled={saving} onClick={() => void save()}>
          {saving ? "Saving…" : segment ? "Save changes" : "Create segment"}
        </button>
        <button type="button" data-fw="segment-cancel" onClick={onCancel}>
          {dirty ? "Discard changes" : "Close"}
        </button>
        {error && (
          <span className="field-error" role="alert" data-fw="segment-save-error">
            {error}
          </span>
        )}
      </div>
      <SegmentPreview api={api} conditions={draft.conditions} />
    </section>
  );
}
