"""Retention (TRK-10): page views and visits older than a site's `retention_days` are deleted."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import delete, select

from services.common.db import utcnow
from services.common.service import ServiceRuntime
from services.tracking.models import page_views, products_viewed, searches, site_settings, visits

log = logging.getLogger("floorwalker.tracking.retention")
FIRST_RUN_SECONDS = 60.0


async def apply_retention(runtime: ServiceRuntime) -> int:
    """Delete what is past each site's retention period; returns how many visits went."""
    removed = 0
    async with runtime.db.reading() as session:
        rules = (
            await session.execute(
                select(site_settings.c.site_id, site_settings.c.retention_days).where(
                    site_settings.c.retention_days.is_not(None)
                )
            )
        ).all()
    for site_id, days in rules:
        cutoff = utcnow() - timedelta(days=days)
        async with runtime.db.transaction() as session:
            for table in (page_views, products_viewed, searches):
                await session.execute(delete(table).where(table.c.site_id == site_id, table.c.viewed_at < cutoff))
            done = await session.execute(
                delete(visits).where(visits.c.site_id == site_id, visits.c.last_activity_at < cutoff)
            )
            removed += done.rowcount
    return removed


class RetentionJob:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._task: asyncio.Task[None] | None = None

    async def _forever(self) -> None:
        interval = self.runtime.settings.retention_interval_seconds
        await asyncio.sleep(min(FIRST_RUN_SECONDS, interval))  # not in the middle of start-up
        while True:
            try:
                removed = await apply_retention(self.runtime)
                if removed:
                    log.info("retention removed %d visits", removed)
            except Exception:
                log.exception("retention job failed")
            await asyncio.sleep(interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
