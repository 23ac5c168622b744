"""The rules service counts page views per visitor from `pageview.recorded`, once per event."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.bus import MemoryBus
from services.common.events import Event, PageviewRecorded, SiteCreated, TrackBatchReceived, VisitorErased
from services.common.settings import Settings
from services.rules.app import create_app
from services.tracking.app import create_app as create_tracking
from tests.helpers import as_identity, eventually, operator, running, visitor

NOW = datetime.now(UTC)


def pageview_event(visitor_id: str, url: str, viewed_at: datetime = NOW, account_id: str = "acc-1") -> Event:
    payload = PageviewRecorded(
        page_view_id="pv", site_id="s", visitor_id=visitor_id, visit_id="v", url=url, title="", viewed_at=viewed_at
    )
    return payload.to_event(account_id)


async def deliver(app: FastAPI, *events: Event) -> None:
    for event in events:
        await app.state.runtime.bus.publish_event(event)


async def stats(client: httpx.AsyncClient, settings: Settings, visitor_id: str, account_id: str = "acc-1") -> Any:
    response = await client.get(
        f"/api/v1/rules/visitor-stats/{visitor_id}", headers=as_identity(settings, operator(account_id=account_id))
    )
    return response.json() if response.status_code == 200 else response.status_code


async def settled(client: httpx.AsyncClient, settings: Settings, visitor_id: str, pageviews: int) -> Any:
    async def counted() -> bool:
        found = await stats(client, settings, visitor_id)
        return isinstance(found, dict) and found["pageviews"] >= pageviews

    await eventually(counted)
    await asyncio.sleep(0.3)  # room for a wrongly doubled count to show
    return await stats(client, settings, visitor_id)


async def test_each_page_view_counts_once_even_when_delivered_twice(settings: Settings) -> None:
    app = create_app(settings)
    first = pageview_event("vis-1", "https://shop.example/a", NOW)
    second = pageview_event("vis-1", "https://shop.example/b", NOW + timedelta(seconds=5))
    async with running(app) as client:
        await deliver(app, first, second, first, second)
        counted = await settled(client, settings, "vis-1", 2)
        assert counted == {"visitor_id": "vis-1", "pageviews": 2, "last_url": "https://shop.example/b"}


async def test_a_late_older_page_view_does_not_replace_the_last_page(settings: Settings) -> None:
    app = create_app(settings)
    newer = pageview_event("vis-1", "https://shop.example/checkout", NOW)
    older = pageview_event("vis-1", "https://shop.example/cart", NOW - timedelta(minutes=1))
    async with running(app) as client:
        await deliver(app, newer, older)
        counted = await settled(client, settings, "vis-1", 2)
        assert counted["pageviews"] == 2 and counted["last_url"] == "https://shop.example/checkout"


async def test_stats_of_another_accounts_visitor_are_not_found(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        await deliver(app, pageview_event("vis-1", "https://shop.example/a", account_id="acc-1"))
        assert (await settled(client, settings, "vis-1", 1))["pageviews"] == 1
        assert await stats(client, settings, "vis-1", account_id="acc-2") == 404
        assert await stats(client, settings, "nobody") == 404
        as_visitor = await client.get("/api/v1/rules/visitor-stats/vis-1", headers=as_identity(settings, visitor()))
        assert as_visitor.status_code == 403


async def test_a_malformed_event_is_dropped_without_holding_up_the_next(settings: Settings) -> None:
    app = create_app(settings)
    broken = Event(type=PageviewRecorded.TYPE, account_id="acc-1", payload={"visitor_id": "vis-1"})
    async with running(app) as client:
        await deliver(app, broken, pageview_event("vis-1", "https://shop.example/a"))
        assert (await settled(client, settings, "vis-1", 1))["pageviews"] == 1


async def test_page_views_tracked_by_the_tracking_service_reach_the_rules(settings: Settings) -> None:
    shared = MemoryBus() if settings.redis_url is None else None  # Redis: each app has its own connection
    tracking, rules = create_tracking(settings, shared), create_app(settings, shared)
    guest = visitor()
    async with running(rules) as client, running(tracking) as tracker:
        # What the gateway publishes: the site (once), then each visitor's accepted batch.
        site = SiteCreated(site_id="site-1", site_key="k", name="Shop", domains=[], allowed_origins=[])
        await tracking.state.runtime.bus.publish_event(site.to_event("acc-1"))

        async def site_known() -> bool:
            answer = await tracker.get("/api/v1/track/settings/site-1", headers=as_identity(settings, operator()))
            return answer.status_code == 200

        assert await eventually(site_known)
        events = [{"type": "pageview", "url": f"https://shop.example/{p}"} for p in ("a", "b", "c")]
        batch = TrackBatchReceived.of(guest, None, datetime.now(UTC), events, [0, 1, 2])
        await tracking.state.runtime.bus.publish_event(batch.to_event("acc-1"))
        counted = await settled(client, settings, str(guest.visitor_id), 3)
        assert counted["pageviews"] == 3 and counted["last_url"] == "https://shop.example/c"


async def test_what_rules_know_of_an_erased_visitor_is_deleted(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        await deliver(
            app, pageview_event("vis-1", "https://shop.example/a"), pageview_event("vis-2", "https://shop.example/b")
        )
        assert (await settled(client, settings, "vis-1", 1))["pageviews"] == 1
        await deliver(app, VisitorErased(visitor_id="vis-1", erased_at=NOW).to_event("acc-2"))  # another account's
        await asyncio.sleep(0.3)
        assert (await stats(client, settings, "vis-1"))["pageviews"] == 1
        await deliver(app, VisitorErased(visitor_id="vis-1", erased_at=NOW).to_event("acc-1"))

        async def forgotten() -> bool:
            return await stats(client, settings, "vis-1") == 404

        await eventually(forgotten)
        assert await stats(client, settings, "vis-1") == 404
        assert (await stats(client, settings, "vis-2"))["pageviews"] == 1
