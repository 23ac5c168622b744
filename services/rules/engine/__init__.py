"""The rules engine: rule definitions (validated JSON), compiled once into fast predicates over a live
visitor's state, with a verdict, the time to look again, and an explanation.

    definition = RuleDefinition.model_validate(json)          # actions.py, conditions.py
    rule = compile_rule(definition, rule_id, version)         # compiler.py
    verdict = rule.evaluate(state, EvalContext(now=...))      # state.py: VisitorState, EvalContext
    outcome = RuleSet(rules).evaluate(state, ctx)             # a site's rules: matched + next check
    rule.explain(state, ctx).to_dict()                        # "why does / doesn't this visitor match"
    check_caps(definition.caps, history, state, now)          # caps.py; pick_variant for A/B
"""

from services.rules.engine.actions import Action, Caps, RuleDefinition, ShowInvitation, Variant
from services.rules.engine.caps import CapDecision, RuleHistory, check_caps, pick_variant
from services.rules.engine.compiler import (
    CompiledRule,
    Explanation,
    Outcome,
    RuleSet,
    Verdict,
    compile_condition,
    compile_rule,
    evaluate_rules,
    next_check,
)
from services.rules.engine.conditions import MAX_DEPTH, MAX_NODES, Condition
from services.rules.engine.hours import Schedule, WeeklyHours
from services.rules.engine.state import (
    EvalContext,
    ProductSeen,
    SearchSeen,
    VisitorState,
    state_from_live_record,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "Action",
    "CapDecision",
    "Caps",
    "CompiledRule",
    "Condition",
    "EvalContext",
    "Explanation",
    "Outcome",
    "ProductSeen",
    "RuleDefinition",
    "RuleHistory",
    "RuleSet",
    "Schedule",
    "SearchSeen",
    "ShowInvitation",
    "Variant",
    "Verdict",
    "VisitorState",
    "WeeklyHours",
    "check_caps",
    "compile_condition",
    "compile_rule",
    "evaluate_rules",
    "next_check",
    "pick_variant",
    "state_from_live_record",
]
