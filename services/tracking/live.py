"""Who is on the account's sites now, and when someone leaves."""

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from services.common.db import utcnow
from services.common.errors import NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking.api.schemas import PageViewOut, VisitorDetail, VisitorOut
from services.tracking.models import page_views, visitors
from services.tracking.pageviews import announce, visitor_out

log = logging.getLogger("floorwalker.tracking.live")
SWEEP_SECONDS = 5.0


async def live_visitors(runtime: ServiceRuntime, operator: Identity) -> list[VisitorOut]:
    """The account's visitors seen within `LIVE_IDLE_SECONDS`, most recently active first (at most 1000)."""
    since = utcnow() - timedelta(seconds=runtime.settings.live_idle_seconds)
    query = (
        select(visitors)
        .where(visitors.c.account_id == operator.account_id, visitors.c.last_seen_at >= since)
        .order_by(visitors.c.last_seen_at.desc())
        .limit(1000)
    )
    async with runtime.db.reading() as session:
        return [visitor_out(r) for r in (await session.execute(query)).mappings()]


async def visitor_detail(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> VisitorDetail:
    async with runtime.db.reading() as session:
        query = select(visitors).where(visitors.c.id == visitor_id, visitors.c.account_id == operator.account_id)
        row = (await session.execute(query)).mappings().first()
        if row is None:
            raise NotFound("No such visitor.", code="visitor_not_found")
        views = await session.execute(
            select(page_views.c.url, page_views.c.title, page_views.c.viewed_at)
            .where(page_views.c.visit_id == row["current_visit_id"])
            .order_by(page_views.c.viewed_at, page_views.c.id)
        )
        pages = [PageViewOut.model_validate(dict(v)) for v in views.mappings()]
    return VisitorDetail(**visitor_out(row).model_dump(), page_views=pages)


async def announce_departures(runtime: ServiceRuntime, since: datetime, until: datetime) -> int:
    """Publish `visitor.left` for visitors whose idle time crossed the threshold in (since, until].

    Each replica sweeps on its own, so with several replicas a departure may be announced more than
    once; the frame is idempotent for the console (it removes the visitor from its list).
    """
    idle = timedelta(seconds=runtime.settings.live_idle_seconds)
    query = select(visitors.c.id, visitors.c.account_id).where(
        visitors.c.last_seen_at > since - idle, visitors.c.last_seen_at <= until - idle
    )
    async with runtime.db.reading() as session:
        gone = (await session.execute(query)).all()
    for visitor_id, account_id in gone:
        await announce(runtime, account_id, {"type": "visitor.left", "visitor_id": visitor_id})
    return len(gone)


async def _sweep_forever(runtime: ServiceRuntime) -> None:
    last = utcnow()
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        now = utcnow()
        try:
            await announce_departures(runtime, last, now)
            last = now
        except Exception:
            log.exception("departure sweep failed")


async def start_sweeper(runtime: ServiceRuntime) -> None:
    runtime.extras["sweeper"] = asyncio.create_task(_sweep_forever(runtime))


async def stop_sweeper(runtime: ServiceRuntime) -> None:
    task = runtime.extras.pop("sweeper", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
