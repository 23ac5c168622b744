"""Recording page views: the visitor, their visit (a new one after 30 idle minutes), the pages."""

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.errors import Forbidden, Unauthorized
from services.common.events import PageviewRecorded
from services.common.ids import new_id
from services.common.outbox import add_event
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking.api.schemas import PageviewEvent, VisitorOut
from services.tracking.models import outbox, page_views, visitors, visits

log = logging.getLogger("floorwalker.tracking")
VISIT_IDLE = timedelta(minutes=30)


def visitor_out(row: RowMapping | dict[str, Any]) -> VisitorOut:
    return VisitorOut(
        visitor_id=row["id"],
        site_id=row["site_id"],
        current_url=row["current_url"],
        current_title=row["current_title"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
        page_started_at=row["page_started_at"],
        pages_viewed=row["pages_viewed"],
        visit_count=row["visit_count"],
        returning=row["visit_count"] > 1,
    )


def _is_postgres(session: AsyncConnection) -> bool:
    return session.dialect.name == "postgresql"


async def _lock_visitor(session: AsyncConnection, caller: Identity, now: datetime) -> RowMapping:
    """The caller's visitor row, created by their first page view, locked until the transaction ends.

    Writing before reading serialises concurrent batches of one visitor (two tabs, a retry): PostgreSQL
    waits on the row lock, SQLite on its write lock, so each batch sees the one before it.
    """
    created = upsert_insert(session, visitors).values(
        id=caller.visitor_id,
        account_id=caller.account_id,
        site_id=caller.site_id,
        first_seen_at=now,
        last_seen_at=now,
        visit_count=0,
        pages_viewed=0,
    )
    await session.execute(created.on_conflict_do_nothing(index_elements=[visitors.c.id]))
    query = select(visitors).where(visitors.c.id == caller.visitor_id)
    if _is_postgres(session):
        query = query.with_for_update()
    visitor = (await session.execute(query)).mappings().one()
    if visitor["account_id"] != caller.account_id:
        raise Forbidden("This visitor belongs to another account.", code="visitor_of_another_account")
    return visitor


async def _enter_visit(
    session: AsyncConnection,
    visitor: RowMapping,
    caller: Identity,
    first: PageviewEvent,
    pages: int,
    times: list[datetime],
) -> tuple[str, bool]:
    """The visit these pages belong to: the current one, or a new one after 30 idle minutes (or the first)."""
    if visitor["current_visit_id"] and times[0] - visitor["last_seen_at"] < VISIT_IDLE:
        visit_id: str = visitor["current_visit_id"]
        await session.execute(
            update(visits)
            .where(visits.c.id == visit_id)
            .values(last_activity_at=times[-1], page_count=visits.c.page_count + pages)
        )
        return visit_id, False
    visit_id = new_id()
    await session.execute(
        insert(visits).values(
            id=visit_id,
            visitor_id=caller.visitor_id,
            account_id=caller.account_id,
            site_id=caller.site_id,
            started_at=times[0],
            last_activity_at=times[-1],
            landing_url=first.url,
            referrer=first.referrer,
            page_count=pages,
        )
    )
    return visit_id, True


async def record(runtime: ServiceRuntime, caller: Identity, events: list[PageviewEvent]) -> VisitorOut:
    """Store a batch of page views in one transaction and tell the account's operators where the visitor is."""
    if not caller.visitor_id or not caller.site_id:
        raise Unauthorized("The visitor identity names no visitor or site.", code="invalid_identity")
    now = utcnow()
    # The batch arrived at once; a microsecond apart keeps its pages in the order they were sent.
    times = [now + timedelta(microseconds=i) for i in range(len(events))]
    async with runtime.db.transaction() as session:
        visitor = await _lock_visitor(session, caller, now)
        visit_id, new_visit = await _enter_visit(session, visitor, caller, events[0], len(events), times)
        rows = [
            {
                "id": new_id(),
                "visit_id": visit_id,
                "visitor_id": caller.visitor_id,
                "account_id": caller.account_id,
                "site_id": caller.site_id,
                "url": event.url,
                "title": event.title,
                "referrer": event.referrer,
                "viewed_at": at,
            }
            for event, at in zip(events, times, strict=True)
        ]
        await session.execute(insert(page_views).values(rows))
        current = events[-1]
        changes: dict[str, Any] = {
            "site_id": caller.site_id,
            "last_seen_at": times[-1],
            "pages_viewed": visitors.c.pages_viewed + len(events),
            "current_visit_id": visit_id,
            "current_url": current.url,
            "current_title": current.title,
            "page_started_at": times[-1],
        }
        if new_visit:
            changes["visit_count"] = visitors.c.visit_count + 1
        query = update(visitors).where(visitors.c.id == caller.visitor_id).values(changes).returning(*visitors.c)
        updated = (await session.execute(query)).mappings().one()
        for row in rows:
            payload = PageviewRecorded(
                page_view_id=row["id"],
                site_id=row["site_id"],
                visitor_id=row["visitor_id"],
                visit_id=row["visit_id"],
                url=row["url"],
                title=row["title"],
                viewed_at=row["viewed_at"],
            )
            await add_event(session, outbox, payload, caller.account_id)
    runtime.after_commit()
    out = visitor_out(updated)
    await announce(runtime, caller.account_id, {"type": "visitor.updated", "visitor": out.model_dump(mode="json")})
    return out


async def announce(runtime: ServiceRuntime, account_id: str, frame: dict[str, Any]) -> None:
    """Realtime frame to the account's operators; losing one is tolerated (the console resyncs)."""
    try:
        await runtime.bus.publish(f"account:{account_id}", frame)
    except Exception:
        log.warning("could not publish %s to account %s", frame.get("type"), account_id, exc_info=True)
