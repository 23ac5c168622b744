"""Helpers of the engine tests: one condition or rule compiled and evaluated for a visitor at `NOW`."""

from typing import Any

from services.rules.engine import (
    CompiledRule,
    EvalContext,
    RuleDefinition,
    Verdict,
    VisitorState,
    compile_rule,
)

NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC, a Friday
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
INVITE = [{"type": "show_invitation", "text": "Can we help?"}]


def rule(conditions: dict[str, Any], **extra: Any) -> CompiledRule:
    definition = RuleDefinition.model_validate({"name": "test", "conditions": conditions, "actions": INVITE, **extra})
    return compile_rule(definition, "rule-1", 1, "site-1")


def visitor(**fields: Any) -> VisitorState:
    return VisitorState(visitor_id=fields.pop("visitor_id", "visitor-1"), site_id="site-1", **fields)


def context(now: float = NOW, **fields: Any) -> EvalContext:
    return EvalContext(now=now, **fields)


def verdict(conditions: dict[str, Any], state: VisitorState | None = None, **ctx: Any) -> Verdict:
    return rule(conditions).evaluate(state or visitor(), context(**ctx))


def matches(conditions: dict[str, Any], state: VisitorState | None = None, **ctx: Any) -> bool:
    return verdict(conditions, state, **ctx).matched
