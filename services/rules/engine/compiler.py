"""A rule compiled once into fast predicates, and its verdict for one visitor at one moment.

`compile_rule(definition, ...)` turns the condition tree into nested closures (`leaves.py` for the leaves);
`CompiledRule.evaluate(state, ctx)` is then a few function calls per condition, with no validation, no
allocation beyond the result, and short cuts: the children of `and`/`or` run static conditions first (a
false one that time cannot change ends an `and` at once). A compiled rule is immutable, tied to the rule's
`version`: an edit compiles a new one, evaluations in flight keep the one they started with.

The verdict's times are what the real-time part schedules: `next_check_at` (not matched) is the earliest
moment the rule could start matching while the visitor does nothing, `until` (matched) the earliest it
could stop. Both are lower bounds: a check then may find nothing changed, and yields the next time.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.rules.engine import conditions as c
from services.rules.engine.actions import RuleDefinition
from services.rules.engine.leaves import ALWAYS, NEVER, Result, Test, build_leaf
from services.rules.engine.state import EvalContext, VisitorState


@dataclass(frozen=True, slots=True)
class Verdict:
    matched: bool
    next_check_at: float | None = None  # not matched: the earliest time it could match by time alone
    until: float | None = None  # matched: the earliest time it could stop matching by time alone


@dataclass(slots=True)
class Explanation:
    """One node of the tree with its outcome for the visitor: `value` is the visitor's own (a leaf's)."""

    type: str
    matched: bool
    condition: dict[str, Any]
    value: Any = None
    changes_at: float | None = None
    children: list["Explanation"] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "matched": self.matched,
            "condition": self.condition,
            "value": self.value,
            "changes_at": self.changes_at,
        }
        if self.children:
            out["children"] = [child.to_dict() for child in self.children]
        return out


def _and(tests: Sequence[Test]) -> Test:
    def test(state: VisitorState, ctx: EvalContext) -> Result:
        matched, latest, earliest = True, 0.0, None
        for child in tests:
            value, at = child(state, ctx)
            if value:
                if matched and at is not None and (earliest is None or at < earliest):
                    earliest = at
            elif at is None:
                return NEVER  # false, and time alone cannot change it
            else:
                matched = False
                latest = at if at > latest else latest
        return (True, earliest) if matched else (False, latest)

    return test


def _or(tests: Sequence[Test]) -> Test:
    def test(state: VisitorState, ctx: EvalContext) -> Result:
        matched, latest, earliest = False, 0.0, None
        for child in tests:
            value, at = child(state, ctx)
            if value:
                if at is None:
                    return ALWAYS  # true, and time alone cannot change it
                matched = True
                latest = at if at > latest else latest
            elif at is not None and (earliest is None or at < earliest):
                earliest = at
        return (True, latest) if matched else (False, earliest)

    return test


def _not(inner: Test) -> Test:
    def test(state: VisitorState, ctx: EvalContext) -> Result:
        value, at = inner(state, ctx)
        return (not value, at)

    return test


def _is_timed(node: Any) -> bool:
    """Whether time alone can change the node (its leaves say)."""
    if isinstance(node, c.And | c.Or | c.Not):
        return any(_is_timed(child) for child in c.children(node))
    return build_leaf(node).timed


def compile_condition(node: Any) -> Test:
    """A node of the tree as a `Test`; the children of `and`/`or` reordered static first."""
    if isinstance(node, c.Not):
        return _not(compile_condition(node.condition))
    if isinstance(node, c.And | c.Or):
        ordered = sorted(node.conditions, key=_is_timed)  # stable: the rule's order within each kind
        tests = [compile_condition(child) for child in ordered]
        if len(tests) == 1:
            return tests[0]
        return _and(tests) if isinstance(node, c.And) else _or(tests)
    return build_leaf(node).test


def _parameters(node: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = node.model_dump(mode="json", exclude={"type", "conditions", "condition"})
    return parameters


def compile_explainer(node: Any) -> Callable[[VisitorState, EvalContext], Explanation]:
    """The node as a function that evaluates every condition (no short cut) and says what each found."""
    if isinstance(node, c.And | c.Or | c.Not):
        test = compile_condition(node)
        kids = [compile_explainer(child) for child in c.children(node)]
        kind = node.type

        def explain_branch(state: VisitorState, ctx: EvalContext) -> Explanation:
            matched, at = test(state, ctx)
            return Explanation(kind, matched, {}, None, at, [kid(state, ctx) for kid in kids])

        return explain_branch
    leaf, parameters, kind = build_leaf(node), _parameters(node), node.type

    def explain_leaf(state: VisitorState, ctx: EvalContext) -> Explanation:
        matched, at = leaf.test(state, ctx)
        return Explanation(kind, matched, parameters, leaf.observe(state, ctx), at)

    return explain_leaf


def required_sections(node: Any) -> frozenset[str] | None:
    """The sections (case-folded) the visitor must be in now for the node to be true, or None when it has
    no such need: what lets a rule set skip a rule for a visitor elsewhere (`RuleSet`)."""
    if isinstance(node, c.TimeInSection):
        needs_stay = node.scope == "stay" and (node.op == "gt" or (node.op == "ge" and node.seconds > 0))
        return frozenset({node.section.casefold()}) if needs_stay else None
    if isinstance(node, c.CurrentSection) and node.op in ("eq", "in"):
        values = node.value if isinstance(node.value, list) else [str(node.value)]
        return frozenset(v.casefold() for v in values)
    if isinstance(node, c.And):
        found = [s for s in (required_sections(child) for child in node.conditions) if s is not None]
        return frozenset.intersection(*found) if found else None
    if isinstance(node, c.Or):
        every = [required_sections(child) for child in node.conditions]
        return None if any(s is None for s in every) else frozenset().union(*(s for s in every if s is not None))
    return None


class CompiledRule:
    """One version of one rule, ready to evaluate. `definition` keeps the actions and caps; `sections`
    are those the visitor must be in for it to match (None: anywhere)."""

    __slots__ = (
        "_explain",
        "_test",
        "definition",
        "enabled",
        "position",
        "rule_id",
        "sections",
        "site_id",
        "version",
    )

    def __init__(
        self, definition: RuleDefinition, rule_id: str = "", version: int = 0, site_id: str = "", position: int = 0
    ) -> None:
        self.definition = definition
        self.rule_id = rule_id
        self.version = version
        self.site_id = site_id
        self.position = position
        self.enabled = definition.enabled
        self._test = compile_condition(definition.conditions)
        self._explain = compile_explainer(definition.conditions)
        self.sections = required_sections(definition.conditions)

    def matches(self, state: VisitorState, ctx: EvalContext) -> bool:
        return self._test(state, ctx)[0]

    def evaluate(self, state: VisitorState, ctx: EvalContext) -> Verdict:
        matched, at = self._test(state, ctx)
        return Verdict(True, None, at) if matched else Verdict(False, at, None)

    def explain(self, state: VisitorState, ctx: EvalContext) -> Explanation:
        """Why the visitor matches or not: the tree with each condition's value for them."""
        return self._explain(state, ctx)

    def __repr__(self) -> str:
        return f"CompiledRule({self.rule_id!r}, version={self.version}, name={self.definition.name!r})"


def compile_rule(
    definition: RuleDefinition, rule_id: str = "", version: int = 0, site_id: str = "", position: int = 0
) -> CompiledRule:
    return CompiledRule(definition, rule_id, version, site_id, position)


def evaluate_rules(
    rules: Iterable[CompiledRule], state: VisitorState, ctx: EvalContext
) -> list[tuple[CompiledRule, Verdict]]:
    """Every enabled rule's verdict for the visitor, in the rules' order (disabled rules never match)."""
    return [(rule, rule.evaluate(state, ctx)) for rule in rules if rule.enabled]


def next_check(verdicts: Iterable[tuple[CompiledRule, Verdict]]) -> float | None:
    """The earliest time any of these verdicts could change by time alone (the visitor's next timer)."""
    times = [t for _, v in verdicts for t in (v.next_check_at, v.until) if t is not None]
    return min(times) if times else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A rule set's verdict for one visitor: the rules that match now (in order), and the earliest time the
    outcome could change by time alone (a rule starting or stopping to match), the visitor's next check."""

    matched: tuple[CompiledRule, ...]
    next_check_at: float | None


class RuleSet:
    """A site's enabled rules in order, indexed by the sections they need: a visitor is tested only
    against the rules that can match where they are (the others are false, and time cannot change that)."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.rules = tuple(sorted((r for r in rules if r.enabled), key=lambda r: r.position))
        self.anywhere = tuple(r for r in self.rules if r.sections is None)
        sections = {s for r in self.rules if r.sections is not None for s in r.sections}
        self.by_section = {
            s: tuple(r for r in self.rules if r.sections is None or s in r.sections) for s in sorted(sections)
        }

    def candidates(self, state: VisitorState) -> tuple[CompiledRule, ...]:
        if state.section is None or not self.by_section:
            return self.anywhere
        return self.by_section.get(state.section.casefold(), self.anywhere)

    def evaluate(self, state: VisitorState, ctx: EvalContext) -> Outcome:
        matched: list[CompiledRule] = []
        soonest: float | None = None
        for rule in self.candidates(state):
            value, at = rule._test(state, ctx)
            if value:
                matched.append(rule)
            if at is not None and (soonest is None or at < soonest):
                soonest = at
        return Outcome(tuple(matched), soonest)
