"""Where a visit comes from: location from the client address, device from the user agent."""

from dataclasses import asdict, dataclass
from typing import Any

from services.common.geo import GeoLocator
from services.common.useragent import parse_device


@dataclass(frozen=True)
class Place:
    location: dict[str, Any] | None
    device: dict[str, Any] | None


class Enricher:
    def __init__(self, geo: GeoLocator) -> None:
        self.geo = geo

    def place(self, ip: str | None, user_agent: str | None) -> Place:
        found = self.geo.lookup(ip)
        location = None
        if found.known:
            location = {
                "country_code": found.country_code,
                "country": found.country,
                "region": found.region,
                "city": found.city,
                "time_zone": found.time_zone,
            }
        device = asdict(parse_device(user_agent)) if user_agent else None
        return Place(location=location, device=device)

    def about(self) -> dict[str, str | None]:
        return {
            "database": self.geo.database_type,
            "attribution": self.geo.attribution,
            "attribution_url": self.geo.attribution_url,
        }
