"""The per-event checks of `POST /api/v1/track/events` that need no service."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from services.common.track_events import _NOT_IN_URL, PageviewEvent, absolute_http_url, event_time


def full_check(value: str) -> bool:
    """What an absolute http(s) URL is, spelled out with `urlsplit` (the reference for the quick check)."""
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not _NOT_IN_URL.search(value)


CASES = [
    ("https://shop.example/informatica/item-1?ref=x#top", True),
    ("http://127.0.0.1:8400/demo/", True),
    ("http://shop.example:8080", True),
    ("HTTPS://Shop.Example/Path", True),  # schemes are case-insensitive
    ("http://shop.example:65535/", True),
    ("http://shop.example:65536/", False),  # no such port
    ("http://shop.example:80a/", False),
    ("http://shop.example:/", True),  # an empty port is the default one
    ("http://[2001:db8::1]:8080/x", True),
    ("http://user:pw@shop.example/", True),
    ("http://:80/", False),  # no host
    ("http:///path", False),
    ("https://shop.example/a b", False),  # browsers encode spaces
    ("https://shop.example/a\tb", False),
    ("https://shop.example/\x7f", False),
    ("https://shop.example/caf\u00e9", True),
    ("https://shop.example/\u2003", False),  # a Unicode space
    ("ftp://shop.example/", False),
    ("javascript:alert(1)", False),
    ("//shop.example/", False),
    ("shop.example/page", False),
    ("https://shop.example\n/", False),
]


@pytest.mark.parametrize(("url", "valid"), CASES)
def test_absolute_http_url_accepts_what_the_full_parse_accepts(url: str, valid: bool) -> None:
    assert full_check(url) is valid  # the table itself is right
    if valid:
        assert absolute_http_url(url) == url
    else:
        with pytest.raises(ValueError, match="absolute http"):
            absolute_http_url(url)


def test_an_event_happened_at_its_own_time_but_never_after_it_arrived() -> None:
    arrived = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def at(value: datetime | None) -> datetime:
        event = PageviewEvent(type="pageview", url="https://shop.example/", at=value)
        return event_time(event, arrived)

    assert at(None) == arrived
    assert at(arrived - timedelta(minutes=3)) == arrived - timedelta(minutes=3)
    assert at(arrived + timedelta(minutes=2)) == arrived  # a clock a little ahead
    assert at(datetime(2030, 1, 1, 11, 0)) == arrived  # no zone: not comparable, taken as arrival
