"""What the edge knows of a caller before any work: their address, whether they look like a robot,
whether the site blocks them, and whether they send too much (TRK-8, SEC-4)."""

from starlette.requests import HTTPConnection

from services.common.client_address import client_ip, parse_trusted_proxies
from services.common.errors import Forbidden
from services.common.geo import locator_from_env
from services.common.service import ServiceRuntime
from services.common.useragent import robot_reason
from services.gateway.ratelimit import Limit, RateLimiter
from services.gateway.sites import EdgeSite


class Edge:
    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        self.settings = settings
        self.trusted = parse_trusted_proxies(settings.trusted_proxies)
        self.geo = locator_from_env()
        self.limiter = RateLimiter(settings.redis_url, settings.redis_prefix)

    def address(self, connection: HTTPConnection) -> str | None:
        """The client's address; `X-Forwarded-For` counts only behind `TRUSTED_PROXIES`."""
        peer = connection.client.host if connection.client else None
        return client_ip(peer, connection.headers.get("x-forwarded-for"), self.trusted)

    @staticmethod
    def robot(connection: HTTPConnection) -> str | None:
        return robot_reason(connection.headers.get("user-agent"))

    def check_blocked(self, site: EdgeSite, connection: HTTPConnection, ip: str | None, robot: str | None) -> None:
        reason = site.blocklist.reason(ip, connection.headers.get("user-agent"), robot, self.geo)
        if reason:
            raise Forbidden(f"This site does not accept requests from this client ({reason}).", code="blocked")

    async def limit_address(self, ip: str | None) -> None:
        if ip:
            await self.limiter.check(Limit(f"ip:{ip}", self.settings.rate_limit_ip_per_minute, 60, "address"))

    async def limit_visitor(self, visitor_id: str, site_id: str, ip: str | None) -> None:
        """The visitor's, their site's and their address's limits, counted in one go."""
        settings = self.settings
        limits = [
            Limit(f"v:{visitor_id}", settings.rate_limit_visitor_per_minute, 60, "visitor"),
            Limit(f"s:{site_id}", settings.rate_limit_site_per_second, 1, "site"),
        ]
        if ip:
            limits.append(Limit(f"ip:{ip}", settings.rate_limit_ip_per_minute, 60, "address"))
        await self.limiter.check(*limits)

    async def close(self) -> None:
        await self.limiter.close()
        self.geo.close()
