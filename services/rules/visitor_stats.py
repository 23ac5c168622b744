"""What the rules know of each visitor, fed by `pageviews.recorded` (and `pageview.recorded`) events."""

from collections.abc import Sequence

from sqlalchemy import case, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.errors import NotFound
from services.common.events import PageView, PageviewRecorded
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules.api.schemas import VisitorStats
from services.rules.models import visitor_stats


async def count_pageviews(conn: AsyncConnection, account_id: str, views: Sequence[PageviewRecorded | PageView]) -> None:
    """Add the page views to their visitors' stats (one statement, one row per visitor, in visitor order);
    `last_url` only moves to a page viewed later."""
    counted: dict[str, tuple[int, PageviewRecorded | PageView]] = {}  # visitor -> (views, the latest)
    for view in views:
        count, latest = counted.get(view.visitor_id, (0, view))
        counted[view.visitor_id] = (count + 1, view if view.viewed_at >= latest.viewed_at else latest)
    if not counted:
        return
    stats, now = visitor_stats.c, utcnow()
    rows = [
        {
            "visitor_id": visitor_id,
            "account_id": account_id,
            "pageviews": count,
            "last_url": latest.url,
            "last_viewed_at": latest.viewed_at,
            "updated_at": now,
        }
        for visitor_id, (count, latest) in sorted(counted.items())
    ]
    new = upsert_insert(conn, visitor_stats).values(rows)
    later = or_(stats.last_viewed_at.is_(None), new.excluded.last_viewed_at >= stats.last_viewed_at)
    await conn.execute(
        new.on_conflict_do_update(
            index_elements=[stats.visitor_id],
            set_={
                "pageviews": stats.pageviews + new.excluded.pageviews,
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
