"""AND / OR / NOT, the time to look again (`next_check_at`, `until`) of whole trees, the explanation tree, the
reference example (ENG-6), and a site's rule set giving the same answers as its rules one by one."""

import random
from typing import Any

import pytest

from services.rules.engine import RuleSet, evaluate_rules, next_check
from tests.rules.engine_helpers import NOW, context, matches, rule, verdict, visitor

YES = {"type": "returning", "value": True}  # true for a returning visitor, and time cannot change it
NO = {"type": "returning", "value": False}
RETURNING = visitor(returning=True)


def all_of(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"type": "and", "conditions": list(conditions)}


def any_of(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"type": "or", "conditions": list(conditions)}


def negated(condition: dict[str, Any]) -> dict[str, Any]:
    return {"type": "not", "condition": condition}


@pytest.mark.parametrize(("a", "b"), [(YES, YES), (YES, NO), (NO, YES), (NO, NO)])
def test_and_or_not_truth_tables(a: dict[str, Any], b: dict[str, Any]) -> None:
    value = {id(YES): True, id(NO): False}
    assert matches(all_of(a, b), RETURNING) is (value[id(a)] and value[id(b)])
    assert matches(any_of(a, b), RETURNING) is (value[id(a)] or value[id(b)])
    assert matches(negated(a), RETURNING) is (not value[id(a)])
    assert matches(negated(negated(a)), RETURNING) is value[id(a)]


def test_and_waits_for_its_latest_condition() -> None:
    state = visitor(page_started_at=NOW - 10, visit_started_at=NOW - 100, returning=True)
    both = all_of({"type": "time_on_page", "seconds": 60}, {"type": "time_on_site", "seconds": 300}, YES)
    assert verdict(both, state).next_check_at == NOW + 200  # the visit is old enough after the page
    assert matches(both, state, now=NOW + 200)


def test_and_with_a_condition_time_cannot_change_never_asks_to_look_again() -> None:
    state = visitor(page_started_at=NOW - 10, returning=True)
    blocked = all_of({"type": "time_on_page", "seconds": 60}, NO)
    assert verdict(blocked, state).next_check_at is None


def test_or_waits_for_its_earliest_condition() -> None:
    state = visitor(page_started_at=NOW - 10, visit_started_at=NOW - 100, returning=True)
    either = any_of({"type": "time_on_page", "seconds": 60}, {"type": "time_on_site", "seconds": 120}, NO)
    assert verdict(either, visitor(page_started_at=NOW - 10, visit_started_at=NOW - 100)).matched  # a new visitor
    assert verdict(either, state).next_check_at == NOW + 20  # the visit is two minutes old first


def test_not_of_a_time_condition_turns_the_times_around() -> None:
    state = visitor(page_started_at=NOW - 10)
    not_yet_a_minute = negated({"type": "time_on_page", "seconds": 60})
    found = verdict(not_yet_a_minute, state)
    assert found.matched and found.until == NOW + 50
    assert not matches(not_yet_a_minute, state, now=NOW + 50)
    assert verdict(not_yet_a_minute, state, now=NOW + 50).next_check_at is None


def test_until_of_and_is_its_earliest_end_and_of_or_its_latest() -> None:
    state = visitor(page_started_at=NOW - 10, visit_started_at=NOW - 10)
    short_page = {"type": "time_on_page", "op": "lt", "seconds": 30}  # true until NOW + 20
    short_visit = {"type": "time_on_site", "op": "lt", "seconds": 60}  # true until NOW + 50
    assert verdict(all_of(short_page, short_visit), state).until == NOW + 20
    assert verdict(any_of(short_page, short_visit), state).until == NOW + 50
    assert verdict(any_of(short_page, YES), RETURNING).until is None  # a true part that stays


def test_a_rule_stays_false_at_every_time_before_next_check_and_is_true_then() -> None:
    """`next_check_at` is never late: sampled before it the rule does not match; at it, this one does."""
    tree = all_of(
        {"type": "time_in_section", "section": "IT", "seconds": 180},
        any_of({"type": "time_on_page", "seconds": 90}, {"type": "idle", "seconds": 400}),
        negated({"type": "time_on_site", "seconds": 3600}),
    )
    state = visitor(section="IT", section_entered_at=NOW - 50, page_started_at=NOW - 20, visit_started_at=NOW - 60,
                    last_activity_at=NOW - 5)  # fmt: skip
    at = verdict(tree, state).next_check_at
    assert at == NOW + 130
    for step in range(0, 130, 7):
        assert not matches(tree, state, now=NOW + step)
    assert matches(tree, state, now=at)


def test_the_reference_example_eng_6() -> None:
    """3 minutes in the IT section, operators X, Y or Z online (or any), at least 5 pages."""
    example = all_of(
        {"type": "time_in_section", "section": "informática", "seconds": 180},
        {"type": "operators_online", "operator_ids": ["x", "y", "z"]},
        {"type": "pages_viewed", "op": "ge", "value": 5},
    )
    reader = visitor(section="Informática", section_entered_at=NOW - 60, pages_viewed=6)
    y_online = frozenset({"y", "w"})
    assert verdict(example, reader, operators_online=y_online).next_check_at == NOW + 120
    assert matches(example, reader, operators_online=y_online, now=NOW + 120)
    assert not matches(example, reader, operators_online=frozenset({"w"}), now=NOW + 120)
    assert verdict(example, reader, operators_online=frozenset({"w"})).next_check_at is None
    assert not matches(example, visitor(section="Informática", section_entered_at=NOW - 600, pages_viewed=4),
                       operators_online=y_online)  # fmt: skip
    anyone = all_of(example["conditions"][0], {"type": "operators_online"}, example["conditions"][2])
    assert matches(anyone, reader, operators_online=frozenset({"w"}), now=NOW + 120)


def test_the_explanation_shows_every_condition_with_the_visitors_value() -> None:
    tree = all_of(
        {"type": "pages_viewed", "value": 5},
        any_of({"type": "country", "value": "PT"}, {"type": "time_on_page", "seconds": 60}),
        negated({"type": "device", "value": "mobile"}),
    )
    state = visitor(
        pages_viewed=3, country_code="BR", country="Brazil", page_started_at=NOW - 15, device_class="mobile"
    )
    explained = rule(tree).explain(state, context()).to_dict()
    assert explained["type"] == "and" and explained["matched"] is False
    pages, either, not_mobile = explained["children"]
    assert pages == {
        "type": "pages_viewed",
        "matched": False,
        "condition": {"op": "ge", "value": 5, "scope": "visit"},
        "value": 3,
        "changes_at": None,
    }
    country, page_time = either["children"]
    assert country["value"] == {"code": "BR", "name": "Brazil"} and country["matched"] is False
    assert page_time["value"] == 15.0 and page_time["changes_at"] == NOW + 45
    assert either["matched"] is False and either["changes_at"] == NOW + 45
    assert not_mobile["matched"] is False and not_mobile["children"][0]["value"] == "mobile"
    # The explanation agrees with the evaluation, though it runs every condition (no short cut).
    assert explained["matched"] is rule(tree).evaluate(state, context()).matched


def test_a_compiled_rule_keeps_its_version_and_definition() -> None:
    compiled = rule(YES)
    assert compiled.version == 1 and compiled.rule_id == "rule-1" and compiled.definition.name == "test"
    disabled = rule(YES, enabled=False)
    assert evaluate_rules([compiled, disabled], RETURNING, context()) == [
        (compiled, compiled.evaluate(RETURNING, context()))
    ]


SECTIONS = ["IT", "TV", "Kitchen"]


def random_rule(rng: random.Random, n: int) -> Any:
    section = rng.choice(SECTIONS)
    parts: list[dict[str, Any]] = [
        rng.choice(
            [
                {"type": "time_in_section", "section": section, "seconds": rng.choice([0, 30, 120])},
                {"type": "current_section", "op": "in", "value": [section, rng.choice(SECTIONS)]},
                {"type": "time_on_page", "seconds": rng.choice([10, 60])},
                any_of({"type": "current_section", "value": section}, {"type": "pages_viewed", "value": 9}),
            ]
        ),
        {"type": "pages_viewed", "value": rng.randint(0, 6)},
    ]
    if rng.random() < 0.3:
        parts.append(negated({"type": "current_section", "value": rng.choice(SECTIONS)}))
    compiled = rule(all_of(*parts))
    compiled.rule_id, compiled.position = f"rule-{n}", n
    return compiled


def test_a_rule_set_matches_what_its_rules_match_one_by_one() -> None:
    rng = random.Random(7)
    rules = [random_rule(rng, n) for n in range(60)]
    ruleset = RuleSet(rules)
    assert any(r.sections for r in rules) and any(r.sections is None for r in rules)
    for n in range(300):
        section = rng.choice([*SECTIONS, "it", None])
        state = visitor(
            section=section,
            section_entered_at=NOW - rng.uniform(0, 200) if section else None,
            page_started_at=NOW - rng.uniform(0, 100),
            pages_viewed=rng.randint(0, 8),
            visitor_id=f"v{n}",
        )
        ctx = context()
        one_by_one = evaluate_rules(rules, state, ctx)
        outcome = ruleset.evaluate(state, ctx)
        assert [r.rule_id for r in outcome.matched] == [r.rule_id for r, v in one_by_one if v.matched]
        assert outcome.next_check_at == next_check(one_by_one)
