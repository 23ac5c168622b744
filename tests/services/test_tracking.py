"""The tracking service: page views, visits, the live list; on SQLite and on PostgreSQL + Redis."""

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from services.common.db import utcnow
from services.common.settings import Settings
from services.tracking.app import create_app
from services.tracking.live import announce_departures
from services.tracking.models import visitors
from tests.helpers import as_identity, operator, running, visitor


def pageview(path: str, title: str = "") -> dict[str, Any]:
    return {"type": "pageview", "url": f"https://shop.example{path}", "title": title or path}


async def test_page_views_build_the_visit_and_the_live_list(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        batch = {"events": [pageview("/", "Home"), pageview("/informatica/", "IT")]}
        response = await client.post("/api/v1/track/events", json=batch, headers=as_identity(settings, guest))
        assert response.status_code == 202 and response.json() == {"accepted": 2}
        live = (await client.get("/api/v1/visitors/live", headers=as_identity(settings, operator()))).json()["visitors"]
        assert len(live) == 1
        assert live[0]["current_title"] == "IT" and live[0]["pages_viewed"] == 2 and live[0]["returning"] is False
        detail = (
            await client.get(f"/api/v1/visitors/{guest.visitor_id}", headers=as_identity(settings, operator()))
        ).json()
        assert [p["title"] for p in detail["page_views"]] == ["Home", "IT"]
        stranger = await client.get(
            "/api/v1/visitors/live", headers=as_identity(settings, operator(account_id="acc-2"))
        )
        assert stranger.json()["visitors"] == []
        hidden = await client.get(
            f"/api/v1/visitors/{guest.visitor_id}", headers=as_identity(settings, operator(account_id="acc-2"))
        )
        assert hidden.status_code == 404


async def test_a_new_visit_starts_after_thirty_idle_minutes(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        await client.post("/api/v1/track/events", json={"events": [pageview("/")]}, headers=headers)
        await client.post("/api/v1/track/events", json={"events": [pageview("/tv/")]}, headers=headers)
        async with app.state.runtime.db.transaction() as session:
            await session.execute(update(visitors).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        await client.post("/api/v1/track/events", json={"events": [pageview("/casa/")]}, headers=headers)
        detail = (
            await client.get(f"/api/v1/visitors/{guest.visitor_id}", headers=as_identity(settings, operator()))
        ).json()
        assert detail["visit_count"] == 2 and detail["returning"] is True
        assert [p["title"] for p in detail["page_views"]] == ["/casa/"]


async def test_operators_are_told_live_when_a_visitor_moves_and_leaves(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    frames: list[dict[str, Any]] = []

    async def collect(_: str, frame: dict[str, Any]) -> None:
        frames.append(frame)

    async with running(app) as client:
        runtime = app.state.runtime
        await runtime.bus.subscribe(f"account:{guest.account_id}", collect)
        await asyncio.sleep(0.1)
        await client.post(
            "/api/v1/track/events",
            json={"events": [pageview("/tv/oled-55", "OLED")]},
            headers=as_identity(settings, guest),
        )
        seen = utcnow()
        await announce_departures(runtime, seen, seen + timedelta(seconds=settings.live_idle_seconds + 1))
        for _ in range(50):
            if len(frames) >= 2:
                break
            await asyncio.sleep(0.05)
    assert frames[0]["type"] == "visitor.updated" and frames[0]["visitor"]["current_title"] == "OLED"
    assert frames[1] == {"type": "visitor.left", "visitor_id": guest.visitor_id}


async def test_bad_batches_are_refused_whole(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        cases = [
            {"events": [pageview("/"), {"type": "pageview", "url": "javascript:alert(1)"}]},
            {"events": [pageview("/")] * 51},
            {"events": []},
            {"events": [{**pageview("/"), "secret": 1}]},
            {"events": [{"type": "purchase", "url": "https://shop.example/"}]},
        ]
        for body in cases:
            response = await client.post("/api/v1/track/events", json=body, headers=headers)
            assert response.status_code == 422, body
            assert response.json()["error"]["code"] == "validation_error"
        not_json = await client.post(
            "/api/v1/track/events", content=b"hello", headers={**headers, "content-type": "application/json"}
        )
        assert not_json.status_code == 400
        live = await client.get("/api/v1/visitors/live", headers=as_identity(settings, operator()))
        assert live.json()["visitors"] == []
