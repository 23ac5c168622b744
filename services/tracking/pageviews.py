"""Recording page views: the visitor, their visit (a new one after 30 idle minutes), the pages."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import utcnow
from services.common.events import PageviewRecorded
from services.common.ids import new_id
from services.common.outbox import add_event
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking.api.schemas import PageviewEvent, VisitorOut
from services.tracking.models import outbox, page_views, visitors, visits

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


async def _visit_for(
    session: AsyncSession, visitor: RowMapping | None, caller: Identity, event: PageviewEvent, now: datetime
) -> str:
    """The current visit, or a new one when the visitor was idle for longer than 30 minutes."""
    if visitor is not None and visitor["current_visit_id"] and now - visitor["last_seen_at"] < VISIT_IDLE:
        visit_id: str = visitor["current_visit_id"]
        await session.execute(
            update(visits)
            .where(visits.c.id == visit_id)
            .values(last_activity_at=now, page_count=visits.c.page_count + 1)
        )
        return visit_id
    visit_id = new_id()
    await session.execute(
        insert(visits).values(
            id=visit_id,
            visitor_id=caller.visitor_id,
            account_id=caller.account_id,
            site_id=caller.site_id,
            started_at=now,
            last_activity_at=now,
            landing_url=event.url,
            referrer=event.referrer,
            page_count=1,
        )
    )
    return visit_id


async def record(runtime: ServiceRuntime, caller: Identity, events: list[PageviewEvent]) -> VisitorOut:
    """Store a batch of page views in one transaction and return the visitor as it now stands."""
    assert caller.visitor_id and caller.site_id
    async with runtime.db.transaction() as session:
        visitor = (await session.execute(select(visitors).where(visitors.c.id == caller.visitor_id))).mappings().first()
        rows = []
        for event in events:
            now = utcnow()
            if visitor is None:
                await session.execute(
                    insert(visitors).values(
                        id=caller.visitor_id,
                        account_id=caller.account_id,
                        site_id=caller.site_id,
                        first_seen_at=now,
                        last_seen_at=now,
                        visit_count=0,
                        pages_viewed=0,
                    )
                )
            new_visit = (
                visitor is None or not visitor["current_visit_id"] or now - visitor["last_seen_at"] >= VISIT_IDLE
            )
            visit_id = await _visit_for(session, visitor, caller, event, now)
            values: dict[str, Any] = {
                "last_seen_at": now,
                "pages_viewed": visitors.c.pages_viewed + 1,
                "current_visit_id": visit_id,
                "current_url": event.url,
                "current_title": event.title,
                "page_started_at": now,
            }
            if new_visit:
                values["visit_count"] = visitors.c.visit_count + 1
            query = update(visitors).where(visitors.c.id == caller.visitor_id).values(**values).returning(visitors)
            visitor = (await session.execute(query)).mappings().one()
            rows.append(
                {
                    "id": new_id(),
                    "visit_id": visit_id,
                    "visitor_id": caller.visitor_id,
                    "account_id": caller.account_id,
                    "site_id": caller.site_id,
                    "url": event.url,
                    "title": event.title,
                    "referrer": event.referrer,
                    "viewed_at": now,
                }
            )
        await session.execute(insert(page_views), rows)
        for row in rows:
            recorded = PageviewRecorded(
                page_view_id=row["id"],
                site_id=row["site_id"],
                visitor_id=row["visitor_id"],
                visit_id=row["visit_id"],
                url=row["url"],
                title=row["title"],
                viewed_at=row["viewed_at"],
            )
            await add_event(session, outbox, recorded, caller.account_id)
    assert visitor is not None
    out = visitor_out(visitor)
    runtime.after_commit()
    await runtime.bus.publish(
        f"account:{caller.account_id}", {"type": "visitor.updated", "visitor": out.model_dump(mode="json")}
    )
    return out
