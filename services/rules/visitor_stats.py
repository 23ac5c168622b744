"""What the rules know of each visitor, fed by `pageviews.recorded` (and `pageview.recorded`) events."""

from sqlalchemy import case, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.errors import NotFound
from services.common.events import PageView, PageviewRecorded
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules.api.schemas import VisitorStats
from services.rules.models import visitor_stats


async def count_pageview(conn: AsyncConnection, account_id: str, view: PageviewRecorded | PageView) -> None:
    """Add one page view to the visitor's stats; `last_url` only moves to a page viewed later."""
    stats = visitor_stats.c
    new = upsert_insert(conn, visitor_stats).values(
        visitor_id=view.visitor_id,
        account_id=account_id,
        pageviews=1,
        last_url=view.url,
        last_viewed_at=view.viewed_at,
        updated_at=utcnow(),
    )
    later = or_(stats.last_viewed_at.is_(None), new.excluded.last_viewed_at >= stats.last_viewed_at)
    await conn.execute(
        new.on_conflict_do_update(
            index_elements=[stats.visitor_id],
            set_={
                "pageviews": stats.pageviews + 1,
                "last_url": case((later, new.excluded.last_url), else_=stats.last_url),
                "last_viewed_at": case((later, new.excluded.last_viewed_at), else_=stats.last_viewed_at),
                "updated_at": new.excluded.updated_at,
            },
        )
    )


async def forget_visitor(conn: AsyncConnection, account_id: str, visitor_id: str) -> None:
    """Data protection: the visitor was erased at tracking, so what rules know of them goes too."""
    stats = visitor_stats.c
    await conn.execute(delete(visitor_stats).where(stats.visitor_id == visitor_id, stats.account_id == account_id))


async def stats_of(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> VisitorStats:
    query = select(visitor_stats).where(
        visitor_stats.c.visitor_id == visitor_id, visitor_stats.c.account_id == operator.account_id
    )
    async with runtime.db.reading() as conn:
        row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("Nothing is known of this visitor.", code="visitor_not_found")
    return VisitorStats(visitor_id=row["visitor_id"], pageviews=row["pageviews"], last_url=row["last_url"])
