"""Segments in the reports (SEG-2): every counter of the daily report, also per customer segment.

The rules service tells each live visitor's segment (`visitor.segment_changed`, SEG-1); reporting keeps it
(`report_visitor_segments`, the newest `at` wins) with the account's segments heard of (`report_segments`, by
the name last told). An event is counted in the segment its visitor is in when reporting counts it: a page view
in its visitor's, a conversation's events (accepted, closed, messages) in the segment its visitor was in when it
started (`report_conversation_segments`). A visitor in no segment, or whose segment was not told yet (the rules
tell it once they evaluated the visitor's first page), counts in the account's report only.

A report filtered by a segment (`?segment=<id>`) reads `report_segment_daily`; a segment reporting never heard
of in the caller's account (another account's, a deleted one nobody was ever in) is 404 `segment_not_found`.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert
from services.common.errors import NotFound
from services.common.events import (
    ConversationAccepted,
    ConversationClosed,
    ConversationStarted,
    EventPayload,
    MessageCreated,
    PageviewRecorded,
    PageviewsRecorded,
    VisitorSegmentChanged,
)
from services.reporting.models import (
    COUNTERS,
    report_conversation_segments,
    report_segment_daily,
    report_segments,
    report_visitor_segments,
)

Subject = tuple[str, str]  # ("visitor" | "conversation", its id)


def no_such_segment() -> NotFound:
    return NotFound("No such segment in the reports.", code="segment_not_found")


def subjects(payload: EventPayload) -> list[Subject]:
    """Whose segment each of the event's increments (`daily.increments`, in the same order) counts in."""
    match payload:
        case ConversationStarted() | PageviewRecorded():
            return [("visitor", payload.visitor_id)]
        case ConversationAccepted() | ConversationClosed() | MessageCreated():
            return [("conversation", payload.conversation_id)]
        case PageviewsRecorded():
            return [("visitor", view.visitor_id) for view in payload.page_views]
    return []


async def record_changes(conn: AsyncConnection, changes: Iterable[tuple[str, VisitorSegmentChanged]]) -> None:
    """(account, change) in stream order: the segments heard of, and each visitor's segment (newest `at`)."""
    for account_id, change in changes:
        if change.segment_id and change.segment_name:
            named = upsert_insert(conn, report_segments).values(
                account_id=account_id, segment_id=change.segment_id, name=change.segment_name
            )
            keys = [report_segments.c.account_id, report_segments.c.segment_id]
            await conn.execute(named.on_conflict_do_update(index_elements=keys, set_={"name": named.excluded.name}))
        kept = upsert_insert(conn, report_visitor_segments).values(
            visitor_id=change.visitor_id, account_id=account_id, segment_id=change.segment_id, at=change.at
        )
        await conn.execute(
            kept.on_conflict_do_update(
                index_elements=[report_visitor_segments.c.visitor_id],
                set_={"segment_id": kept.excluded.segment_id, "at": kept.excluded.at},
                where=(kept.excluded.at > report_visitor_segments.c.at)
                & (kept.excluded.account_id == report_visitor_segments.c.account_id),
            )
        )


async def visitors_segments(conn: AsyncConnection, account_id: str, visitor_ids: set[str]) -> dict[str, str]:
    """The segment of each of these visitors of the account who is in one now."""
    if not visitor_ids:
        return {}
    table = report_visitor_segments.c
    query = select(table.visitor_id, table.segment_id).where(
        table.account_id == account_id, table.visitor_id.in_(sorted(visitor_ids)), table.segment_id.is_not(None)
    )
    return {visitor_id: segment_id for visitor_id, segment_id in await conn.execute(query)}


async def conversations_started(conn: AsyncConnection, account_id: str, started: dict[str, str]) -> None:
    """Conversation -> the segment its visitor is in now (those in one), kept for the conversation's events."""
    segments = await visitors_segments(conn, account_id, set(started.values()))
    rows = [
        {"conversation_id": conversation_id, "account_id": account_id, "segment_id": segments[visitor_id]}
        for conversation_id, visitor_id in sorted(started.items())
        if visitor_id in segments
    ]
    if rows:
        new = upsert_insert(conn, report_conversation_segments).values(rows)
        await conn.execute(new.on_conflict_do_nothing(index_elements=[report_conversation_segments.c.conversation_id]))


async def conversations_segments(conn: AsyncConnection, account_id: str, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    table = report_conversation_segments.c
    query = select(table.conversation_id, table.segment_id).where(
        table.account_id == account_id, table.conversation_id.in_(sorted(ids))
    )
    return {conversation_id: segment_id for conversation_id, segment_id in await conn.execute(query)}


async def segments_of(conn: AsyncConnection, account_id: str, wanted: set[Subject]) -> dict[Subject, str]:
    """The segment each of these visitors and conversations of the account counts in (those in one)."""
    visitors = await visitors_segments(conn, account_id, {i for kind, i in wanted if kind == "visitor"})
    chats = await conversations_segments(conn, account_id, {i for kind, i in wanted if kind == "conversation"})
    found = {("visitor", v): s for v, s in visitors.items()}
    found.update({("conversation", c): s for c, s in chats.items()})
    return found


async def add_to_segment_day(
    conn: AsyncConnection, account_id: str, segment_id: str, day: date, adds: dict[str, float]
) -> None:
    row: dict[str, Any] = dict.fromkeys(COUNTERS, 0) | {"total_wait_seconds": 0.0} | adds
    new = upsert_insert(conn, report_segment_daily).values(account_id=account_id, segment_id=segment_id, day=day, **row)
    totals = {name: report_segment_daily.c[name] + new.excluded[name] for name in adds}
    key = [report_segment_daily.c.account_id, report_segment_daily.c.segment_id, report_segment_daily.c.day]
    await conn.execute(new.on_conflict_do_update(index_elements=key, set_=totals))


async def check_segment(conn: AsyncConnection, account_id: str, segment_id: str) -> None:
    """404 unless reporting heard of this segment in the account."""
    table = report_segments.c
    query = select(table.segment_id).where(table.account_id == account_id, table.segment_id == segment_id)
    if await conn.scalar(query) is None:
        raise no_such_segment()
