"""The reporting service: daily counters fed by chat and tracking events, counted once each."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.bus import MemoryBus
from services.common.events import (
    ConversationAccepted,
    ConversationClosed,
    ConversationStarted,
    Event,
    MessageCreated,
    PageviewRecorded,
    SiteCreated,
    TrackBatchReceived,
)
from services.common.settings import Settings
from services.reporting.app import create_app
from services.tracking.app import create_app as create_tracking
from tests.helpers import as_identity, eventually, operator, running, visitor

NOW = datetime.now(UTC)
TODAY = NOW.date()


def started(conversation_id: str, at: datetime = NOW, account_id: str = "acc-1") -> Event:
    payload = ConversationStarted(conversation_id=conversation_id, site_id="s", visitor_id="v", started_at=at)
    return payload.to_event(account_id)


def accepted(conversation_id: str, waited: float, at: datetime = NOW) -> Event:
    payload = ConversationAccepted(conversation_id=conversation_id, user_id="u", accepted_at=at, waited_seconds=waited)
    return payload.to_event("acc-1")


def closed(conversation_id: str, at: datetime = NOW) -> Event:
    return ConversationClosed(conversation_id=conversation_id, closed_by="operator", closed_at=at).to_event("acc-1")


def message(seq: int, sender: Any, at: datetime = NOW) -> Event:
    payload = MessageCreated(
        conversation_id="c1",
        message_id=f"m{seq}",
        seq=seq,
        sender_type=sender,
        sender_id=None if sender == "system" else "x",
        text_length=3,
        created_at=at,
    )
    return payload.to_event("acc-1")


def pageview(at: datetime = NOW, account_id: str = "acc-1") -> Event:
    payload = PageviewRecorded(
        page_view_id="pv",
        site_id="s",
        visitor_id="v",
        visit_id="v1",
        url="https://shop.example/",
        title="",
        viewed_at=at,
    )
    return payload.to_event(account_id)


async def deliver(app: FastAPI, *events: Event) -> None:
    for event in events:
        await app.state.runtime.bus.publish_event(event)


async def report(client: httpx.AsyncClient, settings: Settings, query: str = "", account_id: str = "acc-1") -> Any:
    response = await client.get(
        f"/api/v1/reports/summary{query}", headers=as_identity(settings, operator(account_id=account_id))
    )
    assert response.status_code == 200, response.text
    return response.json()


async def settled(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for the consumer (a background task on Redis) to catch up, then a little more for doubles to show."""
    await eventually(check)
    await asyncio.sleep(0.3)


async def totals_when(client: httpx.AsyncClient, settings: Settings, field: str, value: int, query: str = "") -> Any:
    async def reached() -> bool:
        return bool((await report(client, settings, query))["totals"][field] >= value)

    await settled(reached)
    return (await report(client, settings, query))["totals"]


async def test_totals_match_the_events_even_when_each_is_delivered_twice(settings: Settings) -> None:
    app = create_app(settings)
    events = [
        started("c1"),
        started("c2"),
        accepted("c1", 30.0),
        accepted("c2", 90.0),
        closed("c1"),
        message(1, "visitor"),
        message(2, "operator"),
        message(3, "visitor"),
        message(4, "system"),
        pageview(),
        pageview(),
        pageview(),
    ]
    async with running(app) as client:
        await deliver(app, *events, *events)
        totals = await totals_when(client, settings, "pageviews", 3)
        assert totals == {
            "conversations_started": 2,
            "conversations_accepted": 2,
            "conversations_closed": 1,
            "messages": 4,
            "visitor_messages": 2,
            "operator_messages": 1,
            "pageviews": 3,
            "total_wait_seconds": 120.0,
            "average_wait_seconds": 60.0,
        }
        asked_on = datetime.now(UTC).date()  # the default range ends on the day asked (not the events' day:
        body = await report(client, settings)  # a run can cross midnight between them)
        assert body["to"] == asked_on.isoformat() and body["from"] == (asked_on - timedelta(days=29)).isoformat()
        assert len(body["days"]) == 30 and body["days"][-1]["day"] == asked_on.isoformat()
        messages = {day["day"]: day["messages"] for day in body["days"]}
        assert messages[TODAY.isoformat()] == 4 and sum(messages.values()) == 4


async def test_days_are_utc_days_and_every_day_of_the_range_is_listed(settings: Settings) -> None:
    app = create_app(settings)
    late_evening_in_brazil = datetime(2026, 3, 10, 23, 30, tzinfo=timezone(timedelta(hours=-3)))  # 11 March, UTC
    async with running(app) as client:
        await deliver(
            app,
            started("c1", at=late_evening_in_brazil),
            accepted("c1", 15.0, at=late_evening_in_brazil),
            pageview(at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),
        )
        query = "?from=2026-03-08&to=2026-03-12"
        await totals_when(client, settings, "conversations_accepted", 1, query)
        body = await report(client, settings, query)
        assert body["from"] == "2026-03-08" and body["to"] == "2026-03-12"
        assert [d["day"] for d in body["days"]] == [str(date(2026, 3, d)) for d in range(8, 13)]
        by_day = {d["day"]: d for d in body["days"]}
        assert by_day["2026-03-11"]["conversations_started"] == 1 and by_day["2026-03-11"]["average_wait_seconds"] == 15
        assert (
            by_day["2026-03-10"]["conversations_started"] == 0 and by_day["2026-03-10"]["average_wait_seconds"] is None
        )
        assert by_day["2026-03-09"]["pageviews"] == 1
        assert body["totals"]["pageviews"] == 1 and body["totals"]["conversations_started"] == 1
        outside = await report(client, settings, "?from=2026-03-12&to=2026-03-12")
        assert outside["totals"]["pageviews"] == 0 and outside["totals"]["average_wait_seconds"] is None


async def test_an_account_sees_only_its_own_numbers(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        await deliver(
            app, pageview(account_id="acc-1"), started("c9", account_id="acc-2"), pageview(account_id="acc-2")
        )
        await totals_when(client, settings, "pageviews", 1)
        mine = (await report(client, settings))["totals"]
        assert mine["pageviews"] == 1 and mine["conversations_started"] == 0
        theirs = (await report(client, settings, account_id="acc-2"))["totals"]
        assert theirs["pageviews"] == 1 and theirs["conversations_started"] == 1
        nobody = (await report(client, settings, account_id="acc-3"))["totals"]
        assert nobody["pageviews"] == 0 and nobody["conversations_started"] == 0


async def test_bad_ranges_and_callers_get_a_clear_error(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        headers = as_identity(settings, operator())
        backwards = await client.get("/api/v1/reports/summary?from=2026-11-10&to=2026-11-01", headers=headers)
        assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "invalid_range"
        too_long = await client.get("/api/v1/reports/summary?from=2020-01-01&to=2026-01-01", headers=headers)
        assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "range_too_long"
        not_a_date = await client.get("/api/v1/reports/summary?from=2026-13-01", headers=headers)
        assert not_a_date.status_code == 422
        assert [d["field"] for d in not_a_date.json()["error"]["details"]] == ["query.from"]
        as_visitor = await client.get("/api/v1/reports/summary", headers=as_identity(settings, visitor()))
        assert as_visitor.status_code == 403 and as_visitor.json()["error"]["code"] == "operators_only"


async def test_a_malformed_event_is_dropped_without_holding_up_the_next(settings: Settings) -> None:
    app = create_app(settings)
    broken = Event(type=ConversationAccepted.TYPE, account_id="acc-1", payload={"waited_seconds": "soon"})
    async with running(app) as client:
        await deliver(app, broken, pageview())
        totals = await totals_when(client, settings, "pageviews", 1)
        assert totals["pageviews"] == 1 and totals["conversations_accepted"] == 0


async def test_page_views_tracked_by_the_tracking_service_are_reported(settings: Settings) -> None:
    shared = MemoryBus() if settings.redis_url is None else None  # Redis: each app has its own connection
    tracking, reporting = create_tracking(settings, shared), create_app(settings, shared)
    guest = visitor()
    async with running(reporting) as client, running(tracking) as tracker:
        # What the gateway publishes: the site (once), then each visitor's accepted batch.
        site = SiteCreated(site_id="site-1", site_key="k", name="Shop", domains=[], allowed_origins=[])
        await tracking.state.runtime.bus.publish_event(site.to_event("acc-1"))

        async def site_known() -> bool:
            answer = await tracker.get("/api/v1/track/settings/site-1", headers=as_identity(settings, operator()))
            return answer.status_code == 200

        assert await eventually(site_known)
        events = [{"type": "pageview", "url": f"https://shop.example/{p}"} for p in ("a", "b")]
        batch = TrackBatchReceived.of(guest, None, datetime.now(UTC), events, [0, 1])
        await tracking.state.runtime.bus.publish_event(batch.to_event("acc-1"))
        assert (await totals_when(client, settings, "pageviews", 2))["pageviews"] == 2
