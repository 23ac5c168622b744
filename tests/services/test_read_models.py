"""Rules and reporting consume events once each, however often they are delivered."""

import asyncio
from datetime import UTC, datetime

from fastapi import FastAPI

from services.common.events import ConversationAccepted, ConversationStarted, Event, MessageCreated, PageviewRecorded
from services.common.settings import Settings
from services.reporting.app import create_app as create_reporting
from services.rules.app import create_app as create_rules
from tests.helpers import as_identity, operator, running

NOW = datetime.now(UTC)


def pageview_event(visitor_id: str, url: str) -> Event:
    payload = PageviewRecorded(
        page_view_id="pv", site_id="s", visitor_id=visitor_id, visit_id="v", url=url, title="", viewed_at=NOW
    )
    return payload.to_event("acc-1")


async def deliver(app: FastAPI, *events: Event) -> None:
    for event in events:
        await app.state.runtime.bus.publish_event(event)


async def test_rules_count_each_page_view_once_even_when_redelivered(settings: Settings) -> None:
    app = create_rules(settings)
    first, second = pageview_event("vis-1", "https://shop.example/a"), pageview_event("vis-1", "https://shop.example/b")
    async with running(app) as client:
        await deliver(app, first, second, first, second)
        url = "/api/v1/rules/visitor-stats/vis-1"
        for _ in range(100):
            response = await client.get(url, headers=as_identity(settings, operator()))
            if response.status_code == 200 and response.json()["pageviews"] >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # room for a wrongly doubled count to show
        stats = (await client.get(url, headers=as_identity(settings, operator()))).json()
        assert stats == {"visitor_id": "vis-1", "pageviews": 2, "last_url": "https://shop.example/b"}
        other = await client.get(url, headers=as_identity(settings, operator(account_id="acc-2")))
        assert other.status_code == 404


async def test_reporting_totals_match_the_events(settings: Settings) -> None:
    app = create_reporting(settings)
    started = ConversationStarted(conversation_id="c1", site_id="s", visitor_id="v", started_at=NOW).to_event("acc-1")
    accepted = ConversationAccepted(conversation_id="c1", user_id="u", accepted_at=NOW, waited_seconds=42.0).to_event(
        "acc-1"
    )
    messages = [
        MessageCreated(
            conversation_id="c1",
            message_id=f"m{i}",
            seq=i,
            sender_type=sender,
            sender_id="x",
            text_length=3,
            created_at=NOW,
        ).to_event("acc-1")
        for i, sender in enumerate(("visitor", "operator", "visitor"), start=1)
    ]
    async with running(app) as client:
        await deliver(app, started, accepted, *messages, pageview_event("v", "https://shop.example/"), accepted)
        totals: dict[str, object] = {}
        for _ in range(100):
            totals = (await client.get("/api/v1/reports/summary", headers=as_identity(settings, operator()))).json()[
                "totals"
            ]
            if totals["pageviews"] == 1 and totals["messages"] == 3:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        totals = (await client.get("/api/v1/reports/summary", headers=as_identity(settings, operator()))).json()[
            "totals"
        ]
        assert totals["conversations_started"] == 1 and totals["conversations_accepted"] == 1
        assert totals["visitor_messages"] == 2 and totals["operator_messages"] == 1 and totals["messages"] == 3
        assert totals["average_wait_seconds"] == 42.0
        empty = (
            await client.get("/api/v1/reports/summary", headers=as_identity(settings, operator(account_id="acc-2")))
        ).json()
        assert empty["totals"]["messages"] == 0
        backwards = await client.get(
            "/api/v1/reports/summary?from=2026-11-10&to=2026-11-01", headers=as_identity(settings, operator())
        )
        assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "invalid_range"
