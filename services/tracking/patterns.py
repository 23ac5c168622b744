"""A site's URL patterns: which section a page belongs to, which product it shows, what was searched.

Patterns match the URL path: `*` is any run of characters, `{sku}` one path segment (captured).
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from services.tracking.api.schemas import TrackingSettings

PLACEHOLDER = "{sku}"


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """`/informatica/*` -> a regex of the whole path; `{sku}` becomes a named group of one segment."""
    if not pattern.startswith("/"):
        raise ValueError("a pattern is a URL path starting with /")
    parts = re.split(r"(\*|\{sku\})", pattern)
    regex = "".join(
        ".*" if part == "*" else "(?P<sku>[^/]+)" if part == PLACEHOLDER else re.escape(part) for part in parts
    )
    return re.compile(regex + r"/?\Z")


@dataclass(frozen=True)
class PageFacts:
    section: str | None
    product_sku: str | None
    search_query: str | None


class SitePatterns:
    """The compiled patterns of one site."""

    def __init__(self, settings: TrackingSettings) -> None:
        self.settings = settings
        self.sections = [(s.name, compile_pattern(s.pattern)) for s in settings.sections]
        self.products = [compile_pattern(p.pattern) for p in settings.products]
        self.searches = [(compile_pattern(s.pattern), s.param) for s in settings.searches]
        # `facts(url)`: the section, product and search words of a page; most views are of pages seen before
        self.facts = lru_cache(maxsize=4096)(self._facts)

    def _facts(self, url: str) -> PageFacts:
        parts = urlsplit(url)
        path = unquote(parts.path) or "/"
        section = next((name for name, regex in self.sections if regex.match(path)), None)
        sku = None
        for regex in self.products:
            found = regex.match(path)
            if found:
                sku = found.groupdict().get("sku") or path
                break
        query = None
        for regex, param in self.searches:
            if regex.match(path):
                values = parse_qs(parts.query).get(param)
                if values and values[0].strip():
                    query = values[0].strip()[:256]
                    break
        return PageFacts(section=section, product_sku=sku[:128] if sku else None, search_query=query)
