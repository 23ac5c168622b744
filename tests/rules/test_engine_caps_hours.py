"""Frequency caps, A/B variants and weekly business hours (time zones, the week's edge, clock changes)."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from services.rules.engine import Caps, RuleHistory, Schedule, ShowInvitation, WeeklyHours, check_caps, pick_variant
from tests.rules.engine_helpers import DAY, HOUR, NOW, visitor

# --- caps --------------------------------------------------------------------------------------------------


def test_default_caps_allow_a_first_show_and_not_a_second_one_this_visit() -> None:
    caps = Caps()
    assert check_caps(caps, RuleHistory(), visitor(), NOW).allowed
    assert check_caps(caps, RuleHistory(fired_this_visit=1, fired_total=1), visitor(), NOW).reason == "once_per_visit"
    assert check_caps(Caps(once_per_visit=False), RuleHistory(fired_this_visit=1), visitor(), NOW).allowed


@pytest.mark.parametrize("chat_state", ["waiting", "active"])
def test_never_while_chatting(chat_state: str) -> None:
    assert check_caps(Caps(), RuleHistory(), visitor(chat_state=chat_state), NOW).reason == "chatting"
    assert check_caps(Caps(never_while_chatting=False), RuleHistory(), visitor(chat_state=chat_state), NOW).allowed


def test_not_again_this_visit_after_the_visitor_closed_one() -> None:
    closed = RuleHistory(closed_this_visit=True)
    caps = Caps(once_per_visit=False)
    assert check_caps(caps, closed, visitor(), NOW).reason == "closed_this_visit"
    assert check_caps(Caps(once_per_visit=False, not_after_closed_this_visit=False), closed, visitor(), NOW).allowed


def test_at_most_n_shows_ever() -> None:
    caps = Caps(once_per_visit=False, max_shows=3)
    assert check_caps(caps, RuleHistory(fired_total=2), visitor(), NOW).allowed
    assert check_caps(caps, RuleHistory(fired_total=3), visitor(), NOW).reason == "max_shows"


def test_not_again_for_n_days_says_when_it_lets_go() -> None:
    caps = Caps(not_again_days=7)
    history = RuleHistory(fired_total=1, last_fired_at=NOW - 2 * DAY)
    held = check_caps(caps, history, visitor(), NOW)
    assert not held.allowed and held.reason == "not_again_days" and held.retry_at == NOW + 5 * DAY
    assert check_caps(caps, history, visitor(), NOW + 5 * DAY).allowed


def test_not_for_n_hours_after_a_chat() -> None:
    caps = Caps(hours_after_chat=24)
    held = check_caps(caps, RuleHistory(), visitor(last_chat_at=NOW - HOUR), NOW)
    assert held.reason == "hours_after_chat" and held.retry_at == NOW + 23 * HOUR
    assert check_caps(caps, RuleHistory(), visitor(last_chat_at=NOW - 25 * HOUR), NOW).allowed


def test_a_visitor_always_gets_the_same_variant_and_the_splits_hold() -> None:
    invitation = ShowInvitation.model_validate(
        {
            "type": "show_invitation",
            "text": "Hello",
            "variants": [{"key": "a", "text": "Hi", "split": 20}, {"key": "b", "text": "Hey", "split": 80}],
        }
    )
    assert pick_variant(invitation, "rule-1", "v-1") == pick_variant(invitation, "rule-1", "v-1")
    shares = Counter(pick_variant(invitation, "rule-1", f"visitor-{n}").key for n in range(5000))
    assert 850 < shares["a"] < 1150 and shares["a"] + shares["b"] == 5000
    plain = ShowInvitation(type="show_invitation", text="Hello")
    assert pick_variant(plain, "rule-1", "v-1").model_dump() == {"key": "default", "text": "Hello", "split": 100}


# --- business hours ----------------------------------------------------------------------------------------


def at(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


def schedule(time_zone: str, **days: list[tuple[str, str]]) -> Schedule:
    hours = {
        "time_zone": time_zone,
        "days": {d: [{"start": s, "end": e} for s, e in spans] for d, spans in days.items()},
    }
    return Schedule(WeeklyHours.model_validate(hours))


def test_open_and_the_next_change_in_the_time_zone() -> None:
    office = schedule("America/Sao_Paulo", mon=[("09:00", "12:00"), ("13:00", "18:00")], fri=[("09:00", "17:00")])
    monday_morning = at("2027-01-11T10:30:00-03:00")
    assert office.is_open(monday_morning)
    assert office.next_change(monday_morning) == at("2027-01-11T12:00:00-03:00")
    assert not office.is_open(at("2027-01-11T12:30:00-03:00"))
    assert office.next_change(at("2027-01-11T12:30:00-03:00")) == at("2027-01-11T13:00:00-03:00")
    friday_evening = at("2027-01-15T17:00:00-03:00")
    assert not office.is_open(friday_evening)  # the end is not open
    assert office.next_change(friday_evening) == at("2027-01-18T09:00:00-03:00")  # next week's Monday


def test_hours_across_the_weeks_edge_and_all_week() -> None:
    weekend_night = schedule("UTC", sun=[("22:00", "24:00")], mon=[("00:00", "06:00")])
    sunday = at("2027-01-17T23:00:00+00:00")
    assert weekend_night.is_open(sunday) and weekend_night.is_open(at("2027-01-18T05:00:00+00:00"))
    assert weekend_night.next_change(sunday) == at("2027-01-18T06:00:00+00:00")
    every_day = {d: [("00:00", "24:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    always = schedule("UTC", **every_day)
    assert always.is_open(NOW) and always.next_change(NOW) is None
    never = schedule("UTC")
    assert not never.is_open(NOW) and never.next_change(NOW) is None


def test_wall_clock_hours_survive_a_clock_change() -> None:
    """Berlin moves its clocks forward on 2027-03-28: the office still opens at 09:00 local time."""
    office = schedule("Europe/Berlin", mon=[("09:00", "17:00")])
    saturday = at("2027-03-27T12:00:00+01:00")
    assert office.next_change(saturday) == at("2027-03-29T09:00:00+02:00")
    assert office.is_open(at("2027-03-29T09:30:00+02:00"))
