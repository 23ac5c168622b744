"""Weekly opening hours (a queue's business hours) in a time zone: open now?, and when that changes next.

`WeeklyHours` is what is stored (validated JSON); `Schedule` is it compiled once: the open intervals as
minutes of the local week, so that `is_open` and `next_change` cost a time-zone conversion and a scan of
a few intervals. Wall-clock times are kept across daylight-saving changes (09:00 stays 09:00).
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone of this name; `ValueError` when there is none (names are checked before the
    database is asked, so no name reaches the file system as a path)."""
    if len(name) > 64 or not _ZONE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, or a name the database cannot read
        raise ValueError(f"unknown time zone {name!r}") from None


class Interval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="Local time HH:MM, 00:00-23:59.", examples=["09:00"])
    end: str = Field(description="Local time HH:MM after `start`; 24:00 is the end of the day.", examples=["18:00"])

    @field_validator("start", "end")
    @classmethod
    def clock(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError("a time is HH:MM (00:00 to 23:59, or 24:00 as an end)")
        return value

    @model_validator(mode="after")
    def ordered(self) -> "Interval":
        if _minutes(self.end) <= _minutes(self.start) or self.start == "24:00":
            raise ValueError("end must come after start on the same day (split a night in two)")
        return self


class WeeklyHours(BaseModel):
    """Open intervals per weekday in a time zone; a day not listed is closed."""

    model_config = ConfigDict(extra="forbid")
    time_zone: str = Field(min_length=1, max_length=64, examples=["America/Sao_Paulo"])
    days: dict[Weekday, list[Interval]] = Field(max_length=7)

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        zone_of(value)
        return value

    @field_validator("days")
    @classmethod
    def few_intervals(cls, value: dict[Weekday, list[Interval]]) -> dict[Weekday, list[Interval]]:
        if any(len(intervals) > 12 for intervals in value.values()):
            raise ValueError("at most 12 intervals a day")
        return value


class Schedule:
    """`WeeklyHours` compiled: sorted, merged intervals in minutes since Monday 00:00 local time."""

    __slots__ = ("intervals", "zone")

    def __init__(self, hours: WeeklyHours) -> None:
        self.zone = zone_of(hours.time_zone)
        spans = sorted(
            (day * 1440 + _minutes(i.start), day * 1440 + _minutes(i.end))
            for day, name in enumerate(WEEKDAYS)
            for i in hours.days.get(name, [])
        )
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        # Open through the end of Sunday and from Monday 00:00: one interval across the week's edge.
        if len(merged) > 1 and merged[0][0] == 0 and merged[-1][1] == WEEK_MINUTES:
            merged[0] = (merged[-1][0] - WEEK_MINUTES, merged[0][1])
            merged.pop()
        self.intervals = tuple(merged)

    def _local(self, now: float) -> tuple[datetime, float]:
        """The local time, and the minutes since the start of its week (Monday 00:00, fractional)."""
        local = datetime.fromtimestamp(now, self.zone)
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return local, minute

    def is_open(self, now: float) -> bool:
        _, minute = self._local(now)
        return any(start <= minute < end or start <= minute - WEEK_MINUTES < end for start, end in self.intervals)

    def next_change(self, now: float) -> float | None:
        """When open turns closed or closed turns open next (epoch seconds), None if never (always closed, or
        open all week)."""
        if not self.intervals or (
            len(self.intervals) == 1 and self.intervals[0][1] - self.intervals[0][0] >= WEEK_MINUTES
        ):
            return None
        local, minute = self._local(now)
        boundaries = sorted({edge % WEEK_MINUTES for span in self.intervals for edge in span})
        ahead = next((b for b in boundaries if b > minute), boundaries[0] + WEEK_MINUTES)
        week_start = datetime(local.year, local.month, local.day, tzinfo=self.zone) - timedelta(days=local.weekday())
        target = (week_start.replace(tzinfo=None) + timedelta(minutes=ahead)).replace(tzinfo=self.zone)
        at = target.astimezone(UTC).timestamp()
        return at if at > now else now + 60.0  # a wall time skipped by a clock change: look again soon
