"""Sites as the edge needs them: by public key or id, with their allowed origins and rules, briefly cached."""

import ipaddress
import time
from dataclasses import dataclass, field
from typing import Any

from services.common.client_address import Network
from services.common.errors import Forbidden, NotFound
from services.common.geo import GeoLocator
from services.common.service import ServiceRuntime
from services.gateway import site_admin
from services.gateway.api.schemas import SiteBlocking, SitePrivacy
from services.gateway.site_language import DEFAULT_LANGUAGE, SiteLanguage

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class Blocklist:
    robots: bool = False
    networks: tuple[Network, ...] = ()
    countries: frozenset[str] = frozenset()
    user_agents: tuple[str, ...] = ()

    @classmethod
    def of(cls, blocking: SiteBlocking) -> "Blocklist":
        return cls(
            robots=blocking.robots,
            networks=tuple(ipaddress.ip_network(n, strict=False) for n in blocking.ips),
            countries=frozenset(blocking.countries),
            user_agents=tuple(blocking.user_agents),
        )

    def reason(self, ip: str | None, user_agent: str | None, robot: str | None, geo: GeoLocator) -> str | None:
        """Why this caller is blocked, or None. Cheap checks first; the country only when the site blocks some."""
        if self.robots and robot:
            return f"robot ({robot})"
        if self.user_agents and user_agent:
            agent = user_agent.lower()
            if any(pattern in agent for pattern in self.user_agents):
                return "user agent"
        if ip and (self.networks or self.countries):
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return None
            if any(address in network for network in self.networks):
                return "address"
            if self.countries and geo.lookup(ip).country_code in self.countries:
                return "country"
        return None


@dataclass(frozen=True)
class EdgeSite:
    id: str
    account_id: str
    name: str
    site_key: str
    allowed_origins: frozenset[str]
    widget: dict[str, Any]
    secret: str | None = None
    privacy: SitePrivacy = field(default_factory=SitePrivacy)
    blocklist: Blocklist = field(default_factory=Blocklist)
    language: SiteLanguage = DEFAULT_LANGUAGE  # EMB-11 (`site_language.py`)


class SiteDirectory:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._cache: dict[str, tuple[float, EdgeSite | None]] = {}

    async def _load(self, cache_key: str, by_key: str | None, by_id: str | None) -> EdgeSite | None:
        hit = self._cache.get(cache_key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        async with self.runtime.db.reading() as conn:
            try:
                row = (
                    await site_admin.site_by_key(conn, by_key)
                    if by_key
                    else await site_admin.site_by_id(conn, by_id or "")
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
                secret=row["secret"],
                privacy=SitePrivacy.model_validate(row["privacy"] or {}),
                blocklist=Blocklist.of(SiteBlocking.model_validate(row["blocking"] or {})),
                language=row.get("language") or DEFAULT_LANGUAGE,
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
