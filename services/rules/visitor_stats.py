"""What the rules know of each visitor, fed by `pageviews.recorded` (and `pageview.recorded`) events, and their
last chat (`conversation.started` / `.closed`), which outlives their live state: a visitor whose live state is
built afresh (after `LIVE_IDLE`, or on another rules runtime) is still "last chat N ago"."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.errors import NotFound
from services.common.events import PageView, PageviewRecorded
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules.api.schemas import VisitorStats
from services.rules.models import visitor_stats


async def count_pageviews(
    conn: AsyncConnection, account_id: str, views: Sequence[PageviewRecorded | PageView]
) -> dict[str, float]:
    """Add the page views to their visitors' stats (one statement, one row per visitor, in visitor order);
    `last_url` only moves to a page viewed later. Returns the last chat (epoch seconds) of those of the visitors
    who had one (the same statement's answer): what a live state built afresh starts from."""
    counted: dict[str, tuple[int, PageviewRecorded | PageView]] = {}  # visitor -> (views, the latest)
    for view in views:
        count, latest = counted.get(view.visitor_id, (0, view))
        counted[view.visitor_id] = (count + 1, view if view.viewed_at >= latest.viewed_at else latest)
    if not counted:
        return {}
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
    answer = await conn.execute(
        new.on_conflict_do_update(
            index_elements=[stats.visitor_id],
            set_={
                "pageviews": stats.pageviews + new.excluded.pageviews,
                "last_url": case((later, new.excluded.last_url), else_=stats.last_url),
                "last_viewed_at": case((later, new.excluded.last_viewed_at), else_=stats.last_viewed_at),
                "updated_at": new.excluded.updated_at,
            },
        ).returning(stats.visitor_id, stats.last_chat_at)
    )
    return {visitor_id: at.timestamp() for visitor_id, at in answer if at is not None}


async def record_chats(
    conn: AsyncConnection,
    started: Sequence[tuple[str, str, str, datetime]],
    closed: Sequence[tuple[str, datetime]],
) -> None:
    """The visitors' last chats: `started` (account, visitor, conversation, started at) makes the conversation
    the visitor's last chat (unless a later one is known), then `closed` (conversation, closed at) moves the
    last chat of the visitor whose last it is to its close. One statement for the starts (one row per visitor,
    a visitor not counted yet gets a row with no page views), one batch of updates for the closes."""
    latest: dict[str, tuple[str, str, datetime]] = {}  # visitor -> (account, conversation, at): the latest start
    for account_id, visitor_id, conversation_id, at in started:
        if visitor_id not in latest or at >= latest[visitor_id][2]:
            latest[visitor_id] = (account_id, conversation_id, at)
    stats, now = visitor_stats.c, utcnow()
    if latest:
        rows = [
            {
                "visitor_id": visitor_id,
                "account_id": account_id,
                "pageviews": 0,
                "last_url": None,
                "last_viewed_at": None,
                "updated_at": now,
                "last_chat_at": at,
                "last_conversation_id": conversation_id,
            }
            for visitor_id, (account_id, conversation_id, at) in sorted(latest.items())
        ]
        new = upsert_insert(conn, visitor_stats).values(rows)
        later = or_(stats.last_chat_at.is_(None), new.excluded.last_chat_at >= stats.last_chat_at)
        same_account = stats.account_id == new.excluded.account_id  # (a visitor id is one account's)
        await conn.execute(
            new.on_conflict_do_update(
                index_elements=[stats.visitor_id],
                set_={
                    "last_chat_at": case((later, new.excluded.last_chat_at), else_=stats.last_chat_at),
                    "last_conversation_id": case(
                        (later, new.excluded.last_conversation_id), else_=stats.last_conversation_id
                    ),
                },
                where=same_account,
            )
        )
    if closed:
        ends = update(visitor_stats).where(
            and_(
                stats.last_conversation_id == bindparam("conversation"),
                or_(stats.last_chat_at.is_(None), stats.last_chat_at < bindparam("at")),
            )
        )
        ends = ends.values(last_chat_at=bindparam("at"))
        await conn.execute(ends, [{"conversation": c, "at": at} for c, at in sorted(closed)])


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
