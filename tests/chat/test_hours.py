"""Opening hours of a queue: read in the queue's own time zone, across DST and holidays (the clock injected)."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.chat.hours import OpeningHours, is_open


def hours(time_zone: str, holidays: list[str] | None = None, **days: list[tuple[str, str]]) -> OpeningHours:
    weekly = {day: [{"start": s, "end": e} for s, e in spans] for day, spans in days.items()}
    return OpeningHours.model_validate({"time_zone": time_zone, "weekly": weekly, "holidays": holidays or []})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


BERLIN_WEEKDAYS = hours("Europe/Berlin", mon=[("09:00", "17:00")], tue=[("09:00", "12:00"), ("13:00", "17:00")])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-01-05T07:59", False),  # Monday 08:59 in Berlin (CET, UTC+1)
        ("2026-01-05T08:00", True),  # 09:00 CET: opens
        ("2026-01-05T15:59", True),  # 16:59 CET
        ("2026-01-05T16:00", False),  # 17:00 CET: closed (end excluded)
        ("2026-07-06T07:00", True),  # Monday 09:00 CEST (UTC+2): open an hour earlier in UTC
        ("2026-07-06T15:30", False),  # 17:30 CEST
        ("2026-01-05T15:30", True),  # the same UTC time in winter is 16:30: open
        ("2026-01-06T11:30", False),  # Tuesday lunch break 12:30 CET
        ("2026-01-06T12:00", True),  # 13:00 CET
        ("2026-01-07T10:00", False),  # Wednesday: closed all day
    ],
)
def test_a_berlin_queue_opens_and_closes_by_berlin_wall_clock(at: str, expected: bool) -> None:
    assert is_open(BERLIN_WEEKDAYS, utc(at)) is expected


def test_on_the_days_clocks_change_the_local_schedule_holds() -> None:
    sunday = hours("Europe/Berlin", sun=[("01:00", "04:00")])
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST. 00:30 UTC = 01:30 CET (open); 01:30 UTC = 03:30 CEST (open);
    # 02:00 UTC = 04:00 CEST (closed).
    assert is_open(sunday, utc("2026-03-29T00:30")) is True
    assert is_open(sunday, utc("2026-03-29T01:30")) is True
    assert is_open(sunday, utc("2026-03-29T02:00")) is False
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET: 01:00 UTC is 02:00 CET (open), 03:00 UTC is 04:00 (closed).
    assert is_open(sunday, utc("2026-10-25T01:00")) is True
    assert is_open(sunday, utc("2026-10-25T03:00")) is False


def test_new_york_and_tokyo_read_the_same_instant_each_in_their_own_zone() -> None:
    at = utc("2026-03-09T14:00")  # Monday 10:00 EDT (DST began 03-08), Monday 23:00 JST
    new_york = hours("America/New_York", mon=[("09:00", "17:00")])
    tokyo = hours("Asia/Tokyo", mon=[("09:00", "17:00")])
    assert is_open(new_york, at) is True
    assert is_open(tokyo, at) is False
    assert is_open(new_york, utc("2026-03-02T14:00")) is True  # a week earlier: 09:00 EST, just open
    assert is_open(new_york, utc("2026-03-02T13:30")) is False  # 08:30 EST


def test_a_holiday_is_the_local_date_not_the_utc_one() -> None:
    tokyo = hours("Asia/Tokyo", ["2026-12-25"], thu=[("00:00", "24:00")], fri=[("00:00", "24:00")])
    assert is_open(tokyo, utc("2026-12-24T14:00")) is True  # Thursday 23:00 in Tokyo
    assert is_open(tokyo, utc("2026-12-24T16:00")) is False  # Friday 25th 01:00 in Tokyo: holiday
    new_york = hours("America/New_York", ["2026-12-25"], thu=[("00:00", "24:00")], fri=[("00:00", "24:00")])
    assert is_open(new_york, utc("2026-12-25T03:00")) is True  # still Thursday 24th, 22:00, in New York
    assert is_open(new_york, utc("2026-12-25T06:00")) is False  # Friday 25th 01:00 there


def test_no_hours_means_always_open_and_a_naive_instant_is_refused() -> None:
    assert is_open(None, utc("2026-01-01T00:00")) is True
    with pytest.raises(ValueError):
        is_open(BERLIN_WEEKDAYS, datetime(2026, 1, 5, 9, 0))


@pytest.mark.parametrize(
    ("weekly", "path"),
    [
        ({"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}, ("weekly", "mon")),
        ({"tue": [{"start": "17:00", "end": "09:00"}]}, ("weekly", "tue", 0)),
        ({"wed": [{"start": "9:00", "end": "12:00"}]}, ("weekly", "wed", 0, "start")),
        ({"thu": [{"start": "09:00", "end": "24:30"}]}, ("weekly", "thu", 0, "end")),
        ({"fri": [{"start": "09:00", "end": "12:00"}, {"start": "09:00", "end": "09:30"}]}, ("weekly", "fri")),
        ({"funday": []}, ("weekly", "funday")),
    ],
)
def test_malformed_or_overlapping_intervals_are_refused_with_their_path(weekly: dict, path: tuple) -> None:
    with pytest.raises(ValidationError) as caught:
        OpeningHours.model_validate({"time_zone": "Europe/Berlin", "weekly": weekly})
    assert [error["loc"] for error in caught.value.errors()] == [path]


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        OpeningHours.model_validate({"time_zone": "Mars/Olympus", "weekly": {}})
    assert caught.value.errors()[0]["loc"] == ("time_zone",)
