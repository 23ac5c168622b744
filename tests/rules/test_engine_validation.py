"""What a rule definition refuses, and where it says the problem is (the error's path)."""

from typing import Any

import pytest
from pydantic import ValidationError

from services.rules.engine import MAX_DEPTH, MAX_NODES, RuleDefinition
from services.rules.engine.regex import MAX_PATTERN_LENGTH
from tests.rules.engine_helpers import INVITE

LEAF = {"type": "time_on_page", "seconds": 10}


def errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, type) of each error of a rule with this body."""
    with pytest.raises(ValidationError) as raised:
        RuleDefinition.model_validate({"name": "r", "actions": INVITE, **body})
    return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in raised.value.errors()]


def nested(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = LEAF
    for level in range(levels):
        node = {"type": "and", "conditions": [LEAF, node]} if level % 2 else {"type": "not", "condition": node}
    return node


def test_a_valid_rule_keeps_its_defaults() -> None:
    rule = RuleDefinition.model_validate({"name": "r", "conditions": LEAF, "actions": INVITE})
    assert rule.enabled and rule.caps.once_per_visit and rule.caps.never_while_chatting
    assert rule.model_dump(mode="json")["actions"][0] == {
        "type": "show_invitation",
        "text": "Can we help?",
        "operator_id": None,
        "delay_s": 0,
        "variants": [],
    }


def test_an_unknown_field_is_refused_where_it_is() -> None:
    body = {"conditions": {"type": "and", "conditions": [LEAF, {**LEAF, "minutes": 3}]}, "colour": "red"}
    assert errors(body) == [
        ("conditions.and.conditions.1.time_on_page.minutes", "extra_forbidden"),
        ("colour", "extra_forbidden"),
    ]


def test_a_wrong_type_is_refused_where_it_is() -> None:
    assert errors({"conditions": {"type": "pages_viewed", "value": "many"}}) == [
        ("conditions.pages_viewed.value", "int_parsing")
    ]
    assert errors({"conditions": {"type": "teleported"}})[0] == ("conditions", "union_tag_invalid")
    assert errors({"conditions": LEAF, "actions": [{"type": "show_invitation", "text": 5}]}) == [
        ("actions.0.show_invitation.text", "string_type")
    ]


@pytest.mark.parametrize(
    "pattern",
    [
        "(?=lookahead)",  # RE2 has no look-arounds
        r"(a)\1",  # nor back references
        "a{1001}",  # nor repetitions past 1000
        "[unclosed",
        "x" * (MAX_PATTERN_LENGTH + 1),
    ],
)
def test_a_regex_that_re2_cannot_run_is_refused(pattern: str) -> None:
    body = {
        "conditions": {"type": "and", "conditions": [LEAF, {"type": "current_url", "op": "regex", "value": pattern}]}
    }
    assert errors(body) == [("conditions.and.conditions.1.current_url.value", "regex_invalid")]
    attribute = {"type": "attribute", "name": "plan", "op": "regex", "value": pattern}
    assert errors({"conditions": attribute}) == [("conditions.attribute.value", "regex_invalid")]


def test_a_catastrophic_pattern_for_backtracking_engines_is_fine_and_fast_with_re2() -> None:
    """`(a+)+$` takes a backtracking engine exponential time on 'aaaa...b'; RE2 answers at once."""
    from services.rules.engine import EvalContext, VisitorState, compile_rule

    rule = RuleDefinition.model_validate(
        {"name": "r", "actions": INVITE, "conditions": {"type": "current_title", "op": "regex", "value": "(a+)+$"}}
    )
    title = "a" * 5000 + "b"
    state = VisitorState(visitor_id="v", site_id="s", current_title=title)
    assert compile_rule(rule).matches(state, EvalContext(now=0)) is False


def test_the_tree_may_nest_to_the_limit_and_not_deeper() -> None:
    RuleDefinition.model_validate({"name": "r", "conditions": nested(MAX_DEPTH), "actions": INVITE})
    found = errors({"conditions": nested(MAX_DEPTH + 1)})
    assert len(found) == 1 and found[0][1] == "tree_too_deep"
    path = found[0][0]
    assert path.startswith("conditions.not.condition.and.conditions.1.not.condition")
    assert path.count(".not") + path.count(".and") == MAX_DEPTH + 1  # it names the node one level too deep


def test_a_tree_with_too_many_conditions_is_refused() -> None:
    wide = {"type": "and", "conditions": [{"type": "or", "conditions": [LEAF] * 40} for _ in range(3)]}
    assert 3 * 41 + 1 > MAX_NODES
    assert errors({"conditions": wide}) == [("conditions", "tree_too_large")]


@pytest.mark.parametrize(
    ("condition", "where", "kind"),
    [
        ({"type": "current_url", "op": "in", "value": "x"}, "conditions.current_url.value", "list_expected"),
        ({"type": "current_url", "op": "eq", "value": ["x"]}, "conditions.current_url.value", "string_expected"),
        ({"type": "current_url", "op": "eq"}, "conditions.current_url.value", "string_expected"),
        ({"type": "current_url", "op": "exists", "value": "x"}, "conditions.current_url.value", "value_not_expected"),
        ({"type": "attribute", "name": "n", "op": "gt", "value": "x"}, "conditions.attribute.value", "number_expected"),
        ({"type": "attribute", "name": "n", "op": "eq"}, "conditions.attribute.value", "scalar_expected"),
        ({"type": "time_on_page", "seconds": -1}, "conditions.time_on_page.seconds", "greater_than_equal"),
        ({"type": "time_on_page", "op": "eq", "seconds": 5}, "conditions.time_on_page.op", "literal_error"),
        ({"type": "business_hours"}, "conditions.business_hours", "hours_source"),
        (
            {"type": "operators_online", "operator_ids": ["a/b"]},
            "conditions.operators_online.operator_ids.0",
            "string_pattern_mismatch",
        ),
        ({"type": "and", "conditions": []}, "conditions.and.conditions", "too_short"),
    ],
)
def test_conditions_check_their_values(condition: dict[str, Any], where: str, kind: str) -> None:
    assert (where, kind) in errors({"conditions": condition})


@pytest.mark.parametrize(
    ("hours", "where"),
    [
        ({"time_zone": "Mars/Olympus", "days": {}}, "conditions.business_hours.hours.time_zone"),
        ({"time_zone": "../../etc/passwd", "days": {}}, "conditions.business_hours.hours.time_zone"),
        (
            {"time_zone": "UTC", "days": {"mon": [{"start": "18:00", "end": "09:00"}]}},
            "conditions.business_hours.hours.days.mon.0",
        ),
        (
            {"time_zone": "UTC", "days": {"mon": [{"start": "9:00", "end": "17:00"}]}},
            "conditions.business_hours.hours.days.mon.0.start",
        ),
        ({"time_zone": "UTC", "days": {"someday": []}}, "conditions.business_hours.hours.days.someday.[key]"),
    ],
)
def test_business_hours_are_checked(hours: dict[str, Any], where: str) -> None:
    assert where in [path for path, _ in errors({"conditions": {"type": "business_hours", "hours": hours}})]


@pytest.mark.parametrize(
    ("actions", "where", "kind"),
    [
        ([], "actions", "too_short"),
        ([{"type": "show_invitation", "text": "a"}, {"type": "open_chat"}], "", "invite_or_open"),
        ([{"type": "notify_operators"}, {"type": "notify_operators"}], "actions", "duplicate_action"),
        (
            [{"type": "show_invitation", "text": "a", "variants": [{"key": "a", "text": "A", "split": 60}]}],
            "actions.0.show_invitation.variants",
            "split_total",
        ),
        (
            [{"type": "show_invitation", "text": "a", "variants": [{"key": "a", "text": "A", "split": 50}] * 2}],
            "actions.0.show_invitation.variants",
            "variant_keys",
        ),
        (
            [{"type": "show_invitation", "text": "a", "delay_s": 7200}],
            "actions.0.show_invitation.delay_s",
            "less_than_equal",
        ),
        ([{"type": "route_to_queue"}], "actions.0.route_to_queue.queue_id", "missing"),
        ([{"type": "tag_visitor", "tag": "<b>"}], "actions.0.tag_visitor.tag", "string_pattern_mismatch"),
    ],
)
def test_actions_are_checked(actions: list[dict[str, Any]], where: str, kind: str) -> None:
    assert (where, kind) in errors({"conditions": LEAF, "actions": actions})


def test_every_action_and_cap_can_be_given() -> None:
    rule = RuleDefinition.model_validate(
        {
            "name": "all of them",
            "conditions": LEAF,
            "actions": [
                {
                    "type": "show_invitation",
                    "text": "Hello",
                    "operator_id": "0193a1b2-0000-7000-8000-000000000001",
                    "delay_s": 5,
                    "variants": [{"key": "a", "text": "Hi!", "split": 50}, {"key": "b", "text": "Hey!", "split": 50}],
                },
                {"type": "notify_operators", "highlight": True, "sound": True},
                {"type": "route_to_queue", "queue_id": "sales"},
                {"type": "tag_visitor", "tag": "hot lead"},
                {"type": "tag_visitor", "tag": "it"},
            ],
            "caps": {
                "once_per_visit": False,
                "max_shows": 3,
                "not_again_days": 7,
                "never_while_chatting": True,
                "hours_after_chat": 24,
                "not_after_closed_this_visit": True,
            },
        }
    )
    assert [a.type for a in rule.actions] == [
        "show_invitation",
        "notify_operators",
        "route_to_queue",
        "tag_visitor",
        "tag_visitor",
    ]
    assert errors({"conditions": LEAF, "caps": {"max_shows": 0}}) == [("caps.max_shows", "greater_than_equal")]
    assert errors({"conditions": LEAF, "caps": {"forever": True}}) == [("caps.forever", "extra_forbidden")]
