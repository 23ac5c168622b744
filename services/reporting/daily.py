"""The daily summary of an account, fed by chat and tracking events."""

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.bus import EventHandler
from services.common.db import utcnow
from services.common.errors import BadRequest
from services.common.events import (
    ConversationAccepted,
    ConversationClosed,
    ConversationStarted,
    Event,
    MessageCreated,
    PageviewRecorded,
)
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.reporting.models import COUNTERS, processed, report_daily

CONSUMED = [
    e.TYPE for e in (ConversationStarted, ConversationAccepted, ConversationClosed, MessageCreated, PageviewRecorded)
]


def increments(event: Event) -> dict[str, float]:
    """Which counters of the day an event adds to."""
    if event.type == ConversationStarted.TYPE:
        return {"conversations_started": 1}
    if event.type == ConversationAccepted.TYPE:
        return {"conversations_accepted": 1, "total_wait_seconds": float(event.payload["waited_seconds"])}
    if event.type == ConversationClosed.TYPE:
        return {"conversations_closed": 1}
    if event.type == MessageCreated.TYPE:
        sender = event.payload["sender_type"]
        return {"messages": 1, f"{sender}_messages": 1} if sender in ("visitor", "operator") else {"messages": 1}
    if event.type == PageviewRecorded.TYPE:
        return {"pageviews": 1}
    return {}


async def _apply(session: AsyncSession, event: Event) -> None:
    adds = increments(event)
    if not adds:
        return
    day = event.occurred_at.date()
    key = (report_daily.c.account_id == event.account_id) & (report_daily.c.day == day)
    changed = await session.execute(
        update(report_daily).where(key).values({k: report_daily.c[k] + v for k, v in adds.items()})
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        row: dict[str, Any] = dict.fromkeys(COUNTERS, 0) | {"total_wait_seconds": 0.0}
        row |= adds
        await session.execute(insert(report_daily).values(account_id=event.account_id, day=day, **row))


def on_event(runtime: ServiceRuntime) -> EventHandler:
    async def handle(event: Event) -> None:
        await handle_once(runtime.db, processed, event, _apply)

    return handle


class DayRow(BaseModel):
    day: date
    conversations_started: int = 0
    conversations_accepted: int = 0
    conversations_closed: int = 0
    messages: int = 0
    visitor_messages: int = 0
    operator_messages: int = 0
    pageviews: int = 0
    total_wait_seconds: float = 0.0


class Totals(BaseModel):
    conversations_started: int = 0
    conversations_accepted: int = 0
    conversations_closed: int = 0
    messages: int = 0
    visitor_messages: int = 0
    operator_messages: int = 0
    pageviews: int = 0
    total_wait_seconds: float = 0.0
    average_wait_seconds: float | None = None


class Summary(BaseModel):
    from_: date
    to: date
    days: list[DayRow]
    totals: Totals


async def summary(runtime: ServiceRuntime, operator: Identity, start: date | None, end: date | None) -> Summary:
    end = end or utcnow().date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise BadRequest("`from` must not be after `to`.", code="invalid_range")
    query = (
        select(report_daily)
        .where(report_daily.c.account_id == operator.account_id, report_daily.c.day >= start, report_daily.c.day <= end)
        .order_by(report_daily.c.day)
    )
    async with runtime.db.reading() as session:
        days = [DayRow.model_validate(dict(r)) for r in (await session.execute(query)).mappings()]
    totals = Totals()
    for day in days:
        for name in (*COUNTERS, "total_wait_seconds"):
            setattr(totals, name, getattr(totals, name) + getattr(day, name))
    if totals.conversations_accepted:
        totals.average_wait_seconds = totals.total_wait_seconds / totals.conversations_accepted
    return Summary(from_=start, to=end, days=days, totals=totals)
