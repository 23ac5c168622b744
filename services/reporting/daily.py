"""The daily summary of an account, fed by chat and tracking events (days are UTC dates)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.errors import BadRequest
from services.common.events import (
    ConversationAccepted,
    ConversationClosed,
    ConversationStarted,
    EventPayload,
    MessageCreated,
    PageviewRecorded,
    PageviewsRecorded,
)
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.reporting.api.schemas import Counters, DayCounters, Summary
from services.reporting.models import COUNTERS, report_daily, report_segment_daily
from services.reporting.segments import check_segment

DEFAULT_DAYS = 30
MAX_DAYS = 366
SUMS = (*COUNTERS, "total_wait_seconds")


def utc_day(moment: datetime) -> date:
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).date()


def increments(payload: EventPayload) -> list[tuple[datetime, dict[str, float]]]:
    """When what an event tells happened, and which counters of that day it adds to."""
    match payload:
        case ConversationStarted():
            return [(payload.started_at, {"conversations_started": 1})]
        case ConversationAccepted():
            wait = max(payload.waited_seconds, 0.0)
            return [(payload.accepted_at, {"conversations_accepted": 1, "total_wait_seconds": wait})]
        case ConversationClosed():
            return [(payload.closed_at, {"conversations_closed": 1})]
        case MessageCreated():
            adds: dict[str, float] = {"messages": 1}
            if payload.sender_type in ("visitor", "operator"):
                adds[f"{payload.sender_type}_messages"] = 1
            return [(payload.created_at, adds)]
        case PageviewRecorded():
            return [(payload.viewed_at, {"pageviews": 1})]
        case PageviewsRecorded():
            return [(view.viewed_at, {"pageviews": 1}) for view in payload.page_views]
    raise ValueError(f"reporting does not count {payload.TYPE}")


async def add_to_day(conn: AsyncConnection, account_id: str, day: date, adds: dict[str, float]) -> None:
    """Add to an account's counters of one day, creating the day's row the first time."""
    row: dict[str, Any] = dict.fromkeys(COUNTERS, 0) | {"total_wait_seconds": 0.0} | adds
    new = upsert_insert(conn, report_daily).values(account_id=account_id, day=day, **row)
    totals = {name: report_daily.c[name] + new.excluded[name] for name in adds}
    key = [report_daily.c.account_id, report_daily.c.day]
    await conn.execute(new.on_conflict_do_update(index_elements=key, set_=totals))


def _with_average(values: dict[str, Any]) -> dict[str, Any]:
    accepted = values["conversations_accepted"]
    return values | {"average_wait_seconds": values["total_wait_seconds"] / accepted if accepted else None}


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    if end is None:
        end = max(utcnow().date(), start) if start else utcnow().date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadRequest("`from` must not be after `to`.", code="invalid_range")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest(f"A report covers at most {MAX_DAYS} days.", code="range_too_long")
    return start, end


async def summary(
    runtime: ServiceRuntime, operator: Identity, start: date | None, end: date | None, segment_id: str | None = None
) -> Summary:
    """The caller's account, day by day from `start` to `end` (default: the last 30 days), and totals; with
    `segment_id`, what was counted in that segment of the account (`segments.py`; 404 if unknown there)."""
    start, end = _range(start, end)
    table = report_segment_daily if segment_id else report_daily
    query = select(table).where(table.c.account_id == operator.account_id, table.c.day >= start, table.c.day <= end)
    if segment_id:
        query = query.where(table.c.segment_id == segment_id)
    async with runtime.db.reading() as conn:
        if segment_id:
            await check_segment(conn, operator.account_id, segment_id)
        stored = {r["day"]: r for r in (await conn.execute(query)).mappings()}
    days: list[DayCounters] = []
    totals: dict[str, Any] = dict.fromkeys(SUMS, 0)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        row = stored.get(day)
        values = {name: row[name] if row else 0 for name in SUMS}
        days.append(DayCounters(day=day, **_with_average(values)))
        totals = {name: totals[name] + values[name] for name in SUMS}
    return Summary(from_=start, to=end, days=days, totals=Counters(**_with_average(totals)))
