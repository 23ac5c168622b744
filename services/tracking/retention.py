"""Retention (TRK-10): page views and visits older than a site's `retention_days` are deleted."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from services.common.db import utcnow
from services.common.periodic import being_cancelled
from services.common.service import ServiceRuntime
from services.tracking import repository

log = logging.getLogger("floorwalker.tracking.retention")
FIRST_RUN_SECONDS = 60.0


async def apply_retention(runtime: ServiceRuntime) -> int:
    """Delete what is past each site's retention period; returns how many visits went."""
    removed = 0
    async with runtime.db.reading() as conn:
        rules = await repository.retention_rules(conn)
    for site_id, days in rules:
        async with runtime.db.transaction() as conn:
            removed += await repository.delete_older_than(conn, site_id, utcnow() - timedelta(days=days))
    return removed


class RetentionJob:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._task: asyncio.Task[None] | None = None

    async def _forever(self) -> None:
        interval = self.runtime.settings.retention_interval_seconds
        await asyncio.sleep(min(FIRST_RUN_SECONDS, interval))  # not in the middle of start-up
        while not being_cancelled():  # (a cancellation swallowed inside a run ends it too)
            try:
                removed = await apply_retention(self.runtime)
                if removed:
                    log.info("retention removed %d visits", removed)
            except Exception:
                if being_cancelled():
                    raise asyncio.CancelledError from None
                log.exception("retention job failed")
            await asyncio.sleep(interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
