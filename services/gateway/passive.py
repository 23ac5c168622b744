"""Passive mode (ENG-1): on which pages of a site the widget's chat button shows, for the widget session.

The choice lives with the departments: each queue's `sections` (chat) names the site's sections (tracking's
section patterns, by name, case-insensitively) or URL prefixes (starting with `/`) where its button shows. The
button shows where any queue wants it; a queue without sections wants it everywhere. An account without queues
uses the site's own `widget.button_sections` (same entries); empty: everywhere.

The widget gets `button_paths`: JavaScript regular expressions over `location.pathname` (null: everywhere), and
tests them itself at every navigation (SPA included). Kept per site for `CACHE_SECONDS` on each gateway replica;
when chat or tracking cannot answer, the button shows everywhere (never a widget lost to a hiccup).
"""

import logging
import re
import time
from typing import Any

from services.common.tokens import Identity
from services.gateway.proxy import ServiceClients
from services.gateway.sites import EdgeSite

log = logging.getLogger("floorwalker.gateway.passive")
CACHE_SECONDS = 10.0
QUEUE_SECTIONS = "/internal/v1/queues/sections"
SITE_SECTIONS = "/internal/v1/track/sections"
_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}/]")


def _escaped(text: str) -> str:
    """`text` literally, in a JavaScript (and Python) regular expression."""
    return _SPECIAL.sub(lambda found: "\\" + found[0], text)


def pattern_regex(pattern: str) -> str:
    """Tracking's section pattern (`*` any run, `{sku}` one segment) as a regex of the whole path."""
    parts = re.split(r"(\*|\{sku\})", pattern)
    body = "".join(".*" if p == "*" else "[^/]+" if p == "{sku}" else _escaped(p) for p in parts)
    return f"^{body}\\/?$"


def button_paths(wanted: list[list[str]], sections: dict[str, str]) -> list[str] | None:
    """The regexes of the paths where the button shows, from each chooser's entries (a queue's sections, or the
    site's); `sections`: the site's section patterns by case-folded name. None: everywhere."""
    if not wanted or any(not entries for entries in wanted):
        return None
    paths: list[str] = []
    for entries in wanted:
        for entry in entries:
            if entry.startswith("/"):
                regex = "^" + _escaped(entry)
            elif (pattern := sections.get(entry.casefold())) is not None:
                regex = pattern_regex(pattern)
            else:
                continue  # a section the site does not have (any more): no page is in it
            if regex not in paths:
                paths.append(regex)
    return paths


class ButtonPaths:
    """`button_paths` per site, briefly cached."""

    def __init__(self, clients: ServiceClients) -> None:
        self.clients = clients
        self._cache: dict[str, tuple[float, list[str] | None]] = {}

    async def of(self, site: EdgeSite, visitor: Identity) -> list[str] | None:
        hit = self._cache.get(site.id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            paths = await self._read(site, visitor)
        except Exception:
            log.warning("where site %s shows its chat button is not known now: everywhere", site.id, exc_info=True)
            paths = None
        self._cache[site.id] = (time.monotonic() + CACHE_SECONDS, paths)
        return paths

    async def _read(self, site: EdgeSite, visitor: Identity) -> list[str] | None:
        queues = await self._get("chat", QUEUE_SECTIONS, visitor)
        wanted: list[list[str]] = queues["queues"] or [list(site.widget.get("button_sections") or [])]
        if wanted == [[]] or any(not entries for entries in wanted):
            return None
        named = any(not entry.startswith("/") for entries in wanted for entry in entries)
        found = (await self._get("tracking", SITE_SECTIONS, visitor))["sections"] if named else []
        return button_paths(wanted, {s["name"].casefold(): s["pattern"] for s in found})

    async def _get(self, service: str, path: str, visitor: Identity) -> dict[str, Any]:
        response = await self.clients.call("GET", path, visitor)
        if response.status_code != 200:
            raise RuntimeError(f"{service} answered {response.status_code} for {path}")
        found: dict[str, Any] = response.json()
        return found
