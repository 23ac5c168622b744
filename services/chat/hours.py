"""A queue's opening hours: a weekly schedule in the queue's IANA time zone, plus holidays (local dates).

`is_open(hours, at)` is pure: the caller gives the instant (tests inject it), the schedule is read in the
queue's own zone, so a queue open 09:00-17:00 in Berlin opens at 08:00 UTC in winter and 07:00 UTC in summer.
A wall-clock time that does not exist (the hour skipped by DST) is never reached; one that exists twice is
open when its local time is inside an interval, both times.
"""

import itertools
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

CLOCK = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class Interval(BaseModel):
    """Open from `start` (included) to `end` (excluded), local time; `24:00` is the end of the day."""

    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=CLOCK, examples=["09:00"])
    end: str = Field(pattern=CLOCK, examples=["17:30"])

    @model_validator(mode="after")
    def _ordered(self) -> "Interval":
        if _minutes(self.start) >= _minutes(self.end):
            raise ValueError("an interval must end after it starts (within one day; use 24:00 for midnight)")
        return self

    def contains(self, minute: int) -> bool:
        return _minutes(self.start) <= minute < _minutes(self.end)


def _no_overlap(intervals: list[Interval]) -> list[Interval]:
    ordered = sorted(intervals, key=lambda i: _minutes(i.start))
    for before, after in itertools.pairwise(ordered):
        if _minutes(after.start) < _minutes(before.end):
            raise ValueError(f"intervals {before.start}-{before.end} and {after.start}-{after.end} overlap")
    return ordered


DayHours = Annotated[list[Interval], Field(default_factory=list, max_length=12), AfterValidator(_no_overlap)]


class Weekly(BaseModel):
    """Each weekday's open intervals (none: closed that day)."""

    model_config = ConfigDict(extra="forbid")
    mon: DayHours
    tue: DayHours
    wed: DayHours
    thu: DayHours
    fri: DayHours
    sat: DayHours
    sun: DayHours

    def of(self, day: int) -> list[Interval]:
        intervals: list[Interval] = getattr(self, DAYS[day])
        return intervals


class OpeningHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Berlin"], description="An IANA time zone.")
    weekly: Weekly
    holidays: list[date] = Field(default_factory=list, max_length=366, description="Closed all day (local dates).")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # not a zone, or not a path to one
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def is_open(hours: OpeningHours | None, at: datetime) -> bool:
    """Whether a queue with these hours is open at the aware instant `at` (no hours: always open)."""
    if hours is None:
        return True
    if at.tzinfo is None:
        raise ValueError("is_open needs an aware datetime")
    local = at.astimezone(ZoneInfo(hours.time_zone))
    if local.date() in hours.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(interval.contains(minute) for interval in hours.weekly.of(local.weekday()))
