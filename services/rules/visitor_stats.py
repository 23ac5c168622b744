"""What the rules know of each visitor, fed by `pageview.recorded` events."""

from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.bus import EventHandler
from services.common.db import utcnow
from services.common.errors import NotFound
from services.common.events import Event, PageviewRecorded
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules.models import processed, visitor_stats


class VisitorStats(BaseModel):
    visitor_id: str
    pageviews: int
    last_url: str | None


async def _count_pageview(session: AsyncSession, event: Event) -> None:
    view = PageviewRecorded.model_validate(event.payload)
    changed = await session.execute(
        update(visitor_stats)
        .where(visitor_stats.c.visitor_id == view.visitor_id)
        .values(pageviews=visitor_stats.c.pageviews + 1, last_url=view.url, updated_at=utcnow())
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(
            insert(visitor_stats).values(
                visitor_id=view.visitor_id,
                account_id=event.account_id,
                pageviews=1,
                last_url=view.url,
                updated_at=utcnow(),
            )
        )


def on_pageview(runtime: ServiceRuntime) -> EventHandler:
    async def handle(event: Event) -> None:
        await handle_once(runtime.db, processed, event, _count_pageview)

    return handle


async def stats_of(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> VisitorStats:
    query = select(visitor_stats).where(
        visitor_stats.c.visitor_id == visitor_id, visitor_stats.c.account_id == operator.account_id
    )
    async with runtime.db.reading() as session:
        row = (await session.execute(query)).mappings().first()
    if row is None:
        raise NotFound("Nothing is known of this visitor.", code="visitor_not_found")
    return VisitorStats(visitor_id=row["visitor_id"], pageviews=row["pageviews"], last_url=row["last_url"])
