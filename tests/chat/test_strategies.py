"""Routing strategies (ROUTE-3): which available operator a queue's chat is offered to."""

from datetime import UTC, datetime, timedelta

import pytest

from services.chat.routing.strategies import Candidate, choose

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def op(user_id: str, load: int = 0, priority: int = 0, offered_minutes_ago: int | None = None) -> Candidate:
    last = None if offered_minutes_ago is None else T0 - timedelta(minutes=offered_minutes_ago)
    return Candidate(user_id=user_id, load=load, member_priority=priority, last_offered_at=last)


def test_least_busy_takes_the_fewest_chats_and_ties_go_to_the_longest_idle() -> None:
    busy, free_recent, free_idle = op("a", load=2), op("b", load=0, offered_minutes_ago=1), op("c", 0, 0, 30)
    assert choose("least_busy", [busy, free_recent, free_idle]) == free_idle
    never = op("d", load=0)  # never offered a chat: idle longest of all
    assert choose("least_busy", [busy, free_recent, free_idle, never]) == never
    assert choose("least_busy", [busy, op("e", load=1, offered_minutes_ago=90)]).user_id == "e"  # type: ignore[union-attr]


def test_round_robin_goes_in_turn_whatever_the_load() -> None:
    loaded_but_next = op("a", load=2, offered_minutes_ago=10)
    just_had_one = op("b", load=0, offered_minutes_ago=0)
    assert choose("round_robin", [loaded_but_next, just_had_one]) == loaded_but_next
    # Offering in turn: each pick becomes the most recent; three picks go round a, b, c.
    team = {
        "a": op("a", offered_minutes_ago=3),
        "b": op("b", offered_minutes_ago=2),
        "c": op("c", offered_minutes_ago=1),
    }
    order = []
    for minute in range(3):
        picked = choose("round_robin", list(team.values()))
        assert picked is not None
        order.append(picked.user_id)
        team[picked.user_id] = Candidate(picked.user_id, picked.load, 0, T0 + timedelta(minutes=minute + 1))
    assert order == ["a", "b", "c"]


@pytest.mark.parametrize("strategy", ["operator_priority", "cheapest_tier"])
def test_operator_priority_asks_the_top_tier_first_and_overflows_to_the_next(strategy: str) -> None:
    senior_busy, senior_free = op("s1", load=2, priority=0), op("s2", load=1, priority=0)
    junior_idle = op("j1", load=0, priority=5, offered_minutes_ago=60)
    assert choose(strategy, [senior_busy, senior_free, junior_idle]) == senior_free  # least busy of the top tier
    # The top tier full: its operators are no candidates (no room), the next tier gets it.
    assert choose(strategy, [junior_idle, op("j2", load=1, priority=5)]) == junior_idle


def test_sticky_prefers_the_visitors_last_operator_while_available_else_least_busy() -> None:
    last, other = op("last", load=2), op("other", load=0)
    assert choose("sticky", [last, other], sticky=last) == last
    assert choose("sticky", [other], sticky=None) == other  # not available: the least busy instead


def test_manual_offers_to_nobody_and_nobody_available_is_none() -> None:
    assert choose("manual", [op("a")]) is None
    assert choose("least_busy", []) is None
    assert choose("external_webhook", [op("a", load=1), op("b")]).user_id == "b"  # type: ignore[union-attr]
