"""Response bodies of the reporting API."""

from datetime import date

from pydantic import BaseModel, Field


class Counters(BaseModel):
    conversations_started: int = 0
    conversations_accepted: int = 0
    conversations_closed: int = 0
    messages: int = 0
    visitor_messages: int = 0
    operator_messages: int = 0
    pageviews: int = 0
    total_wait_seconds: float = 0.0
    average_wait_seconds: float | None = Field(
        default=None, description="Waiting time per accepted conversation; null when none was accepted."
    )


class DayCounters(Counters):
    day: date


class Summary(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    days: list[DayCounters] = Field(description="Every day from `from` to `to`, in order (zeros included).")
    totals: Counters
