"""Each site's tracking settings (sections, product and search patterns, retention), briefly cached."""

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.errors import NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking.api.schemas import TrackingSettings
from services.tracking.models import site_settings
from services.tracking.patterns import SitePatterns

CACHE_SECONDS = 10.0
EMPTY = SitePatterns(TrackingSettings())


class SiteConfigs:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._cache: dict[str, tuple[float, SitePatterns]] = {}

    async def patterns(self, session: AsyncConnection, site_id: str) -> SitePatterns:
        hit = self._cache.get(site_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        row = (
            (await session.execute(select(site_settings).where(site_settings.c.site_id == site_id))).mappings().first()
        )
        patterns = SitePatterns(_settings(row)) if row else EMPTY
        self._cache[site_id] = (time.monotonic() + CACHE_SECONDS, patterns)
        return patterns

    async def read(self, caller: Identity, site_id: str) -> TrackingSettings:
        async with self.runtime.db.reading() as session:
            query = select(site_settings).where(site_settings.c.site_id == site_id)
            row = (await session.execute(query)).mappings().first()
        if row is not None and row["account_id"] != caller.account_id:
            raise NotFound("No such site.", code="site_not_found")
        return _settings(row) if row else TrackingSettings()

    async def write(self, caller: Identity, site_id: str, settings: TrackingSettings) -> TrackingSettings:
        values = {
            "account_id": caller.account_id,
            "sections": [s.model_dump() for s in settings.sections],
            "products": [p.model_dump() for p in settings.products],
            "searches": [s.model_dump() for s in settings.searches],
            "retention_days": settings.retention_days,
            "updated_at": utcnow(),
        }
        async with self.runtime.db.transaction() as session:
            owner = await session.scalar(select(site_settings.c.account_id).where(site_settings.c.site_id == site_id))
            if owner is not None and owner != caller.account_id:
                raise NotFound("No such site.", code="site_not_found")
            statement = upsert_insert(session, site_settings).values(site_id=site_id, **values)
            await session.execute(
                statement.on_conflict_do_update(index_elements=[site_settings.c.site_id], set_=values)
            )
        self._cache.pop(site_id, None)
        return settings


def _settings(row: object) -> TrackingSettings:
    data = dict(row)  # type: ignore[call-overload]
    return TrackingSettings(
        sections=data["sections"],
        products=data["products"],
        searches=data["searches"],
        retention_days=data["retention_days"],
    )
