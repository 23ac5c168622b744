import { useState } from "react";
import {
  CONDITION_TYPES,
  conditionType,
  depth as depthOf,
  isBranch,
  isNot,
  MAX_DEPTH,
  type Node,
  type NodePath,
  toggleNot,
  wrapInGroup,
} from "../../lib/rules";
import { FieldError } from "./inputs";
import { LeafFields } from "./LeafFields";

/** The server's messages by node (its path joined by ".") and field of the node. */
export type TreeProblems = Record<string, Record<string, string>>;
/** Change the node at `path` (`null` removes it); `structural`: nodes were added, removed or moved. */
export type Edit = (path: NodePath, change: (node: Node) => Node | null, structural?: boolean) => void;

const GROUPS = [...new Set(CONDITION_TYPES.map((c) => c.group))];
export const nodeName = (path: NodePath) => ["c", ...path].join(".");

interface Props {
  node: Node;
  path: NodePath;
  /** Bumped at every structural change: the inputs below start again from the tree. */
  generation: number;
  problems: TreeProblems;
  edit: Edit;
  /** The node sits in an and / or (it can be removed, negated). */
  inBranch: boolean;
  /** and / or / not levels above this node. */
  level: number;
}

/** One node of the condition tree and, for a group, everything under it. */
export function ConditionNode({ node, path, generation, problems, edit, inBranch, level }: Props) {
  const at = nodeName(path);
  const mine = problems[path.join(".")] ?? {};
  const controls = inBranch && (
    <span className="node-controls">
      {!isNot(node) && (
        <button
          type="button"
          data-fw={`${at}-not`}
          title="Negate"
          disabled={level + depthOf(node) >= MAX_DEPTH}
          onClick={() => edit(path, toggleNot, true)}
        >
          NOT
        </button>
      )}
      <button
        type="button"
        className="danger"
        data-fw={`${at}-remove`}
        aria-label="Remove condition"
        onClick={() => edit(path, () => null, true)}
      >
        ×
      </button>
    </span>
  );

  if (isNot(node)) {
    return (
      <div className="cond-not" data-fw="cond-not" data-path={at}>
        <div className="cond-head">
          <strong>NOT</strong>
          <button
            type="button"
            data-fw={`${at}-unnot`}
            onClick={() => edit(path, (n) => (isNot(n) ? n.condition : n), true)}
          >
            Drop NOT
          </button>
          {controls}
          <FieldError message={mine[""] ?? mine.condition} fw={`${at}-node`} />
        </div>
        <ConditionNode
          key={`${generation}`}
          node={node.condition}
          path={[...path, 0]}
          generation={generation}
          problems={problems}
          edit={edit}
          inBranch={false}
          level={level + 1}
        />
      </div>
    );
  }

  if (isBranch(node)) {
    return (
      <div className={`cond-group ${node.type}`} data-fw="cond-group" data-path={at} data-type={node.type}>
        <div className="cond-head">
          <select
            aria-label="Group kind"
            data-fw={`${at}-kind`}
            value={node.type}
            onChange={(e) => edit(path, (n) => (isBranch(n) ? { ...n, type: e.target.value as "and" | "or" } : n))}
          >
            <option value="and">All of these (AND)</option>
            <option value="or">Any of these (OR)</option>
          </select>
          {controls}
          <FieldError message={mine[""] ?? mine.conditions} fw={`${at}-node`} />
        </div>
        <ul className="cond-children">
          {node.conditions.map((child, i) => (
            <li key={`${generation}-${i}`}>
              <ConditionNode
                node={child}
                path={[...path, i]}
                generation={generation}
                problems={problems}
                edit={edit}
                inBranch
                level={level + 1}
              />
            </li>
          ))}
        </ul>
        <AddCondition
          at={at}
          groupType={node.type === "and" ? "or" : "and"}
          canGroup={level + 2 <= MAX_DEPTH}
          onAdd={(child) => edit(path, (n) => (isBranch(n) ? { ...n, conditions: [...n.conditions, child] } : n), true)}
        />
      </div>
    );
  }

  const spec = conditionType(node.type);
  return (
    <div className="cond-leaf" data-fw="cond-leaf" data-path={at} data-type={node.type}>
      <span className="leaf-name">{spec?.label ?? node.type}</span>
      <LeafFields leaf={node} at={at} problems={mine} onChange={(leaf) => edit(path, () => leaf)} />
      {controls}
      {!inBranch && path.length === 0 && (
        <span className="node-controls">
          <button
            type="button"
            data-fw={`${at}-group-and`}
            onClick={() => edit(path, (n) => wrapInGroup(n, "and"), true)}
          >
            AND…
          </button>
          <button
            type="button"
            data-fw={`${at}-group-or`}
            onClick={() => edit(path, (n) => wrapInGroup(n, "or"), true)}
          >
            OR…
          </button>
        </span>
      )}
    </div>
  );
}

/** Pick a condition type from the catalogue: add it, or add a sub-group starting with it. */
function AddCondition({
  at,
  groupType,
  canGroup,
  onAdd,
}: {
  at: string;
  groupType: "and" | "or";
  canGroup: boolean;
  onAdd: (node: Node) => void;
}) {
  const [type, setType] = useState(CONDITION_TYPES[0].type);
  const make = () => (conditionType(type) ?? CONDITION_TYPES[0]).make();
  return (
    <div className="add-condition">
      <select
        aria-label="Condition type"
        data-fw={`${at}-add-type`}
        value={type}
        onChange={(e) => setType(e.target.value)}
      >
        {GROUPS.map((group) => (
          <optgroup key={group} label={group}>
            {CONDITION_TYPES.filter((c) => c.group === group).map((c) => (
              <option key={c.type} value={c.type}>
                {c.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      <button type="button" data-fw={`${at}-add`} onClick={() => onAdd(make())}>
        Add condition
      </button>
      {canGroup && (
        <button
          type="button"
          data-fw={`${at}-add-group`}
          onClick={() => onAdd({ type: groupType, conditions: [make()] })}
        >
          Add {groupType.toUpperCase()} group
        </button>
      )}
    </div>
  );
}
