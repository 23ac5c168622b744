"""Each site's tracking settings (sections, product and search patterns, retention), briefly cached.

Read and written only for a site tracking knows to belong to the caller's account (`sites.check_site`).
"""

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database, utcnow
from services.common.tokens import Identity
from services.tracking import repository
from services.tracking.api.schemas import TrackingSettings
from services.tracking.patterns import SitePatterns
from services.tracking.sites import check_site

CACHE_SECONDS = 10.0
EMPTY = SitePatterns(TrackingSettings())


class SiteConfigs:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, SitePatterns]] = {}

    async def patterns(self, conn: AsyncConnection, site_id: str) -> SitePatterns:
        hit = self._cache.get(site_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        row = await repository.settings_row(conn, site_id)
        patterns = SitePatterns(settings_of(row)) if row else EMPTY
        self._cache[site_id] = (time.monotonic() + CACHE_SECONDS, patterns)
        return patterns

    async def read(self, caller: Identity, site_id: str) -> TrackingSettings:
        async with self.db.reading() as conn:
            await check_site(conn, caller, site_id)
            row = await repository.settings_row(conn, site_id)
        return settings_of(row) if row else TrackingSettings()

    async def write(self, caller: Identity, site_id: str, settings: TrackingSettings) -> TrackingSettings:
        values = {
            "account_id": caller.account_id,
            "sections": [s.model_dump() for s in settings.sections],
            "products": [p.model_dump() for p in settings.products],
            "searches": [s.model_dump() for s in settings.searches],
            "retention_days": settings.retention_days,
            "updated_at": utcnow(),
        }
        async with self.db.transaction() as conn:
            await check_site(conn, caller, site_id)
            await repository.save_settings(conn, site_id, values)
        self._cache.pop(site_id, None)
        return settings


def settings_of(row: Any) -> TrackingSettings:
    return TrackingSettings(
        sections=row["sections"],
        products=row["products"],
        searches=row["searches"],
        retention_days=row["retention_days"],
    )
