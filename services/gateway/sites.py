"""Sites as the edge needs them: by public key or id, with their allowed origins, briefly cached."""

import time
from dataclasses import dataclass
from typing import Any

from services.common.errors import Forbidden, NotFound
from services.common.service import ServiceRuntime
from services.gateway import accounts as accts

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class EdgeSite:
    id: str
    account_id: str
    name: str
    site_key: str
    allowed_origins: frozenset[str]
    widget: dict[str, Any]


class SiteDirectory:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._cache: dict[str, tuple[float, EdgeSite | None]] = {}

    async def _load(self, cache_key: str, by_key: str | None, by_id: str | None) -> EdgeSite | None:
        hit = self._cache.get(cache_key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        async with self.runtime.db.reading() as session:
            try:
                row = (
                    await accts.site_by_key(session, by_key) if by_key else await accts.site_by_id(session, by_id or "")
                )
            except NotFound:
                row = None
        site = None
        if row is not None:
            site = EdgeSite(
                id=row["id"],
                account_id=row["account_id"],
                name=row["name"],
                site_key=row["site_key"],
                allowed_origins=frozenset(row["allowed_origins"]),
                widget=row["widget"],
            )
        self._cache[cache_key] = (time.monotonic() + CACHE_SECONDS, site)
        return site

    async def by_key(self, site_key: str) -> EdgeSite:
        site = await self._load(f"key:{site_key}", site_key, None)
        if site is None:
            raise NotFound("Unknown site key.", code="unknown_site")
        return site

    async def by_id(self, site_id: str) -> EdgeSite | None:
        return await self._load(f"id:{site_id}", None, site_id)

    def forget(self) -> None:
        self._cache.clear()


def origin_allowed(site: EdgeSite, origin: str | None) -> bool:
    return origin is not None and origin.rstrip("/") in site.allowed_origins


def check_origin(site: EdgeSite, origin: str | None) -> None:
    if not origin_allowed(site, origin):
        raise Forbidden(f"Origin {origin or '(none)'} is not allowed for this site.", code="origin_not_allowed")
