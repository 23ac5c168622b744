"""A few simulated visitors wandering the demo shop, so that a new user's floor is alive from the first minute
(issue 12, item 10): the live list moves, a rule's preview matches someone, a segment fills.

The embedded mode (`make run`) starts it when the demo account is seeded and `DEMO_TRAFFIC` is on (the
default); `DEMO_TRAFFIC_VISITORS` says how many walk at once. Each goes the way the widget does, through
the product's real path: a widget session, then batches of page views and engagement on the gateway's
`POST /api/v1/track/events` (then `track.batch`, then tracking). The requests are handed to the gateway
app in process, with the simulated visitor's own public address as the client address (the edge locates
and limits it as it would a real one) and a real browser's user agent.

Only the demo shop's site is visited, so nothing is counted outside the demo account. Every simulated
visitor carries the custom attribute `simulated: true` (shown in the visitor panel, usable in rules and
segments), with an order history of its own (`orders_count`, `orders_value`) for the segments to work on.
"""

import asyncio
import contextlib
import logging
import random
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from services.common.service import ServiceRuntime
from services.gateway.demo.catalogue import SECTIONS
from services.gateway.demo.pages import DEMO_SITE_KEY
from services.gateway.state import app_gateway_state

log = logging.getLogger("floorwalker.demo.traffic")

SIMULATED = "simulated"  # the attribute that marks a simulated visitor


@dataclass(frozen=True)
class Persona:
    """Where a simulated visitor is (a public address of that place) and what they browse with."""

    ip: str
    user_agent: str
    language: str
    orders_count: int
    orders_value: float


_CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
_SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
_CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
_FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0"
_SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Mobile/15E148 Safari/604.1"
)
_EDGE_WINDOWS = f"{_CHROME_WINDOWS} Edg/131.0.0.0"

# Addresses that the shipped DB-IP City Lite database places in these cities.
PERSONAS = (
    Persona("177.71.128.21", _CHROME_WINDOWS, "pt-BR", 7, 18_450.0),  # São Paulo
    Persona("200.147.67.142", _SAFARI_IPHONE, "pt-BR", 0, 0.0),  # Rio de Janeiro
    Persona("212.77.98.9", _CHROME_ANDROID, "pl-PL", 2, 3_100.0),  # Warsaw
    Persona("95.108.198.1", _FIREFOX_MAC, "ru-RU", 1, 899.0),  # Moscow
    Persona("2.88.1.1", _SAFARI_IPAD, "ar-SA", 4, 12_000.0),  # Riyadh
    Persona("81.2.69.142", _EDGE_WINDOWS, "en-GB", 0, 0.0),  # London
    Persona("187.45.1.1", _CHROME_ANDROID, "pt-BR", 1, 1_299.0),  # São Paulo state
    Persona("89.64.1.1", _CHROME_WINDOWS, "pl-PL", 0, 0.0),  # Poznań
)
SEARCHES = ("tv", "laptop", "espresso", "router", "soundbar")


@dataclass(frozen=True)
class Page:
    path: str
    title: str


def a_walk(rng: random.Random) -> list[Page]:
    """The pages of one visit: the home page, then sections, products and now and then a search."""
    pages = [Page("/demo/", "Home")]
    for _ in range(rng.randint(2, 6)):
        if rng.random() < 0.15:
            words = rng.choice(SEARCHES)
            pages.append(Page(f"/demo/search?q={words}", f"Search {words}"))
            continue
        key = rng.choice(list(SECTIONS))
        name, products = SECTIONS[key]
        if pages[-1].path != f"/demo/{key}/":
            pages.append(Page(f"/demo/{key}/", name))
        if rng.random() < 0.7:
            product = rng.choice(products)
            pages.append(Page(f"/demo/{key}/{product.slug}", product.name))
    return pages


class DemoTraffic:
    """`visitors` simulated visitors walking the demo shop at once, each in a loop of visits."""

    def __init__(
        self,
        public_url: str,
        visitors: int,
        dwell_seconds: tuple[float, float] = (6.0, 40.0),
        pause_seconds: tuple[float, float] = (20.0, 90.0),
        rng: random.Random | None = None,
    ) -> None:
        self.base = public_url.rstrip("/")
        self.visitors = visitors
        self.dwell_seconds = dwell_seconds
        self.pause_seconds = pause_seconds
        self.rng = rng or random.Random()
        self.app: Starlette | None = None  # the gateway app, set once it is built
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, runtime: ServiceRuntime | None = None) -> None:
        if self.app is None:
            raise RuntimeError("DemoTraffic.app is not set")
        seeding = app_gateway_state(self.app).demo_seed  # at the first start: tracking learning of the demo site
        for slot in range(self.visitors):
            persona = PERSONAS[slot % len(PERSONAS)]
            walking = self._visit_again_and_again(persona, seeding)
            self._tasks.append(asyncio.create_task(walking, name=f"demo-visitor-{slot}"))

    async def stop(self, runtime: ServiceRuntime | None = None) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _client(self, persona: Persona) -> httpx.AsyncClient:
        assert self.app is not None
        transport = httpx.ASGITransport(app=self.app, client=(persona.ip, 40_000 + self.rng.randrange(20_000)))
        headers = {"origin": self.base, "user-agent": persona.user_agent, "accept-language": persona.language}
        return httpx.AsyncClient(transport=transport, base_url=self.base, headers=headers, timeout=30)

    async def _visit_again_and_again(self, persona: Persona, seeding: asyncio.Task[None] | None) -> None:
        if seeding is not None:
            await asyncio.wait([seeding])  # done, failed or cancelled: the visits go on either way
        token: str | None = None  # kept between visits: the visitor comes back as a returning one
        failures = 0
        async with self._client(persona) as client:
            while True:
                try:
                    token = await self.visit(client, persona, token)
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception:  # the gateway starting or stopping, the demo site not announced yet
                    failures += 1
                    log.debug("a simulated visit failed", exc_info=True)
                    await asyncio.sleep(min(60.0, 2.0**failures))
                    continue
                await asyncio.sleep(self.rng.uniform(*self.pause_seconds))
                if self.rng.random() < 0.4:
                    token = None  # and someone new comes instead

    async def visit(self, client: httpx.AsyncClient, persona: Persona, token: str | None) -> str:
        """One visit: a widget session (the same visitor again when `token` is theirs), then its pages, each
        viewed for a while. Returns the visitor's token."""
        session = await client.post("/api/v1/widget/session", json={"site_key": DEMO_SITE_KEY, "visitor_token": token})
        session.raise_for_status()
        body = session.json()
        token = str(body["visitor_token"])
        if not body["tracking"]["enabled"]:
            return token
        headers = {"authorization": f"Bearer {token}"}
        attributes = {SIMULATED: True, "orders_count": persona.orders_count, "orders_value": persona.orders_value}
        marked = False  # the attributes go with the first page view, as a site's own script sends them
        referrer: str | None = self.rng.choice((None, "https://www.google.com/", "https://www.instagram.com/"))
        for page in a_walk(self.rng):
            page_id = secrets.token_hex(8)
            url = f"{self.base}{page.path}"
            title = f"{page.title} · Loja Demo"
            events: list[dict[str, Any]] = [
                {"type": "pageview", "page_id": page_id, "url": url, "title": title, "referrer": referrer}
            ]
            if not marked:
                events.append({"type": "attributes", "attributes": attributes})
                marked = True
            await self._track(client, headers, *events)
            dwell = self.rng.uniform(*self.dwell_seconds)
            await asyncio.sleep(dwell)
            await self._track(client, headers, {"type": "engagement", "page_id": page_id, "visible_seconds": dwell})
            referrer = url
        return token

    @staticmethod
    async def _track(client: httpx.AsyncClient, headers: dict[str, str], *events: dict[str, Any]) -> None:
        answer = await client.post("/api/v1/track/events", json={"events": list(events)}, headers=headers)
        answer.raise_for_status()
