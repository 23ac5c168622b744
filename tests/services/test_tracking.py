"""The tracking service: page views, visits, the live list; on SQLite and on PostgreSQL + Redis."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from services.common.db import utcnow
from services.common.events import Event, PageviewRecorded
from services.common.settings import Settings
from services.common.tokens import Identity
from services.tracking import live
from services.tracking.app import create_app
from services.tracking.models import visitors, visits
from tests.helpers import as_identity, operator, running, visitor

VISITOR_FIELDS = {
    "visitor_id",
    "site_id",
    "current_url",
    "current_title",
    "first_seen_at",
    "last_seen_at",
    "page_started_at",
    "pages_viewed",
    "visit_count",
    "returning",
}


def pageview(path: str, title: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "pageview", "url": f"https://shop.example{path}", "title": title or path, **extra}


async def track(
    client: httpx.AsyncClient, settings: Settings, guest: Identity, *events: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/api/v1/track/events", json={"events": list(events)}, headers=as_identity(settings, guest)
    )


async def live_list(client: httpx.AsyncClient, settings: Settings, account_id: str = "acc-1") -> list[dict[str, Any]]:
    response = await client.get("/api/v1/visitors/live", headers=as_identity(settings, operator(account_id=account_id)))
    assert response.status_code == 200
    visitors_: list[dict[str, Any]] = response.json()["visitors"]
    return visitors_


async def detail(client: httpx.AsyncClient, settings: Settings, visitor_id: str | None) -> dict[str, Any]:
    response = await client.get(f"/api/v1/visitors/{visitor_id}", headers=as_identity(settings, operator()))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def idle_for(app: FastAPI, minutes: float) -> None:
    """Pretend every visitor was last seen `minutes` ago."""
    async with app.state.runtime.db.transaction() as session:
        await session.execute(update(visitors).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))


async def wait_until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def test_page_views_make_a_visitor_on_the_live_list_with_the_current_page(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        response = await track(
            client,
            settings,
            guest,
            pageview("/", "Home", referrer="https://search.example/?q=tv"),
            pageview("/tv/", "TV"),
        )
        assert response.status_code == 202 and response.json() == {"accepted": 2}
        [shown] = await live_list(client, settings)
        assert set(shown) == VISITOR_FIELDS
        assert shown["visitor_id"] == guest.visitor_id and shown["site_id"] == guest.site_id
        assert shown["current_url"] == "https://shop.example/tv/" and shown["current_title"] == "TV"
        assert shown["pages_viewed"] == 2 and shown["visit_count"] == 1 and shown["returning"] is False
        assert shown["page_started_at"] == shown["last_seen_at"]
        one = await detail(client, settings, guest.visitor_id)
        assert [(p["url"], p["title"]) for p in one["page_views"]] == [
            ("https://shop.example/", "Home"),
            ("https://shop.example/tv/", "TV"),
        ]
        await track(client, settings, guest, pageview("/tv/oled", "OLED"))
        assert [p["title"] for p in (await detail(client, settings, guest.visitor_id))["page_views"]] == [
            "Home",
            "TV",
            "OLED",
        ]
        async with app.state.runtime.db.reading() as session:
            visit = (await session.execute(select(visits))).mappings().one()
        assert visit["landing_url"] == "https://shop.example/" and visit["referrer"] == "https://search.example/?q=tv"
        assert visit["page_count"] == 3


async def test_the_live_list_is_newest_first_and_forgets_idle_visitors(settings: Settings) -> None:
    app = create_app(settings)
    first, second = visitor(), visitor()
    async with running(app) as client:
        await track(client, settings, first, pageview("/a"))
        await track(client, settings, second, pageview("/b"))
        assert [v["visitor_id"] for v in await live_list(client, settings)] == [second.visitor_id, first.visitor_id]
        await idle_for(app, settings.live_idle_seconds / 60 + 1)
        assert await live_list(client, settings) == []
        assert (await detail(client, settings, first.visitor_id))["current_url"] == "https://shop.example/a"


async def test_visitors_of_another_account_are_invisible(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor(account_id="acc-1")
    async with running(app) as client:
        await track(client, settings, guest, pageview("/secret-offer"))
        assert await live_list(client, settings, account_id="acc-2") == []
        hidden = await client.get(
            f"/api/v1/visitors/{guest.visitor_id}", headers=as_identity(settings, operator(account_id="acc-2"))
        )
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "visitor_not_found"
        unknown = await client.get("/api/v1/visitors/nobody", headers=as_identity(settings, operator()))
        assert unknown.status_code == 404


async def test_a_visitor_id_of_one_account_cannot_write_into_another(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor(account_id="acc-1")
    intruder = visitor(account_id="acc-2", visitor_id=guest.visitor_id)
    async with running(app) as client:
        await track(client, settings, guest, pageview("/"))
        refused = await track(client, settings, intruder, pageview("/phishing"))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "visitor_of_another_account"
        assert (await detail(client, settings, guest.visitor_id))["current_url"] == "https://shop.example/"
        assert await live_list(client, settings, account_id="acc-2") == []


async def test_a_new_visit_starts_after_thirty_idle_minutes(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        await track(client, settings, guest, pageview("/"), pageview("/tv/"))
        await idle_for(app, 29)
        await track(client, settings, guest, pageview("/radio/"))
        same = await detail(client, settings, guest.visitor_id)
        assert same["visit_count"] == 1 and len(same["page_views"]) == 3
        await idle_for(app, 31)
        await track(client, settings, guest, pageview("/casa/"))
        back = await detail(client, settings, guest.visitor_id)
        assert back["visit_count"] == 2 and back["returning"] is True and back["pages_viewed"] == 4
        assert [p["title"] for p in back["page_views"]] == ["/casa/"]


async def test_concurrent_batches_of_a_new_visitor_all_count_in_one_visit(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        responses = await asyncio.gather(
            *(track(client, settings, guest, pageview(f"/p{i}"), pageview(f"/p{i}/more")) for i in range(6))
        )
        assert [r.status_code for r in responses] == [202] * 6
        one = await detail(client, settings, guest.visitor_id)
        assert one["pages_viewed"] == 12 and one["visit_count"] == 1 and len(one["page_views"]) == 12
        async with app.state.runtime.db.reading() as session:
            assert await session.scalar(select(func.count()).select_from(visits)) == 1


async def test_operators_are_told_live_when_a_visitor_moves_and_leaves(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "SWEEP_SECONDS", 0.2)
    settings = settings.model_copy(update={"live_idle_seconds": 1})
    app = create_app(settings)
    guest = visitor()
    frames: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []

    async def collect(_: str, frame: dict[str, Any]) -> None:
        frames.append(frame)

    async def collect_other(_: str, frame: dict[str, Any]) -> None:
        others.append(frame)

    async with running(app) as client:
        await app.state.runtime.bus.subscribe(f"account:{guest.account_id}", collect)
        await app.state.runtime.bus.subscribe("account:acc-2", collect_other)
        await asyncio.sleep(0.1)  # the Redis subscription is live
        await track(client, settings, guest, pageview("/tv/oled-55", "OLED"))
        await wait_until(lambda: len(frames) >= 2)
        assert await live_list(client, settings) == []
    assert frames[0]["type"] == "visitor.updated" and set(frames[0]["visitor"]) == VISITOR_FIELDS
    assert frames[0]["visitor"]["current_title"] == "OLED" and frames[0]["visitor"]["visitor_id"] == guest.visitor_id
    assert frames[1:] == [{"type": "visitor.left", "visitor_id": guest.visitor_id}]
    assert others == []


async def test_every_page_view_is_published_as_an_event(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    received: list[Event] = []

    async def probe(event: Event) -> None:
        received.append(event)

    async with running(app) as client:
        await app.state.runtime.bus.consume("probe", [PageviewRecorded.TYPE], probe)
        await track(client, settings, guest, pageview("/a", "A"), pageview("/b", "B"))
        await wait_until(lambda: len(received) >= 2)
    views = [PageviewRecorded.model_validate(e.payload) for e in received]
    assert [(v.url, v.title) for v in views] == [("https://shop.example/a", "A"), ("https://shop.example/b", "B")]
    assert {e.account_id for e in received} == {"acc-1"}
    assert {v.visitor_id for v in views} == {guest.visitor_id} and len({v.page_view_id for v in views}) == 2


async def test_bad_batches_are_refused_whole_with_a_json_error(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        cases: list[tuple[Any, str]] = [
            ({"events": [pageview("/"), {"type": "pageview", "url": "javascript:alert(1)"}]}, "events.1.url"),
            ({"events": [{"type": "pageview", "url": "/relative/path"}]}, "events.0.url"),
            ({"events": [{"type": "pageview", "url": "https://shop.example/" + "x" * 2048}]}, "events.0.url"),
            ({"events": [pageview("/", "t" * 513)]}, "events.0.title"),
            ({"events": [pageview("/")] * 51}, "events"),
            ({"events": []}, "events"),
            ({"events": [pageview("/", secret=1)]}, "events.0.secret"),
            ({"events": [pageview("/")], "extra": True}, "extra"),
            ({"events": [{"type": "purchase", "url": "https://shop.example/"}]}, "events.0.type"),
            ({"events": [{"type": "pageview"}]}, "events.0.url"),
            ({"events": "pageview"}, "events"),
            ([pageview("/")], ""),
        ]
        for body, field in cases:
            response = await client.post("/api/v1/track/events", json=body, headers=headers)
            assert response.status_code == 422, body
            error = response.json()["error"]
            assert error["code"] == "validation_error" and field in [d["field"] for d in error["details"]], error
        not_json = await client.post(
            "/api/v1/track/events", content=b"hello", headers={**headers, "content-type": "application/json"}
        )
        assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "malformed_json"
        plain = await client.post(
            "/api/v1/track/events", content=b"hello", headers={**headers, "content-type": "text/plain"}
        )
        assert plain.status_code == 422 and plain.json()["error"]["code"] == "validation_error"
        assert await live_list(client, settings) == []


async def test_only_visitors_track_and_only_operators_read(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        body = {"events": [pageview("/")]}
        anonymous = await client.post("/api/v1/track/events", json=body)
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
        staff = await client.post("/api/v1/track/events", json=body, headers=as_identity(settings, operator()))
        assert staff.status_code == 403 and staff.json()["error"]["code"] == "visitors_only"
        peeking = await client.get("/api/v1/visitors/live", headers=as_identity(settings, visitor()))
        assert peeking.status_code == 403 and peeking.json()["error"]["code"] == "operators_only"
        forged = await client.get("/api/v1/visitors/live", headers={"X-FW-Identity": "not-a-token"})
        assert forged.status_code == 401


async def test_what_the_widget_sends_without_a_referrer_or_title_is_accepted(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        event = {"type": "pageview", "url": "http://localhost:8000/demo/", "title": None, "referrer": ""}
        response = await track(client, settings, guest, event)
        assert response.status_code == 202
        [shown] = await live_list(client, settings)
        assert shown["current_url"] == "http://localhost:8000/demo/" and shown["current_title"] == ""
        async with app.state.runtime.db.reading() as session:
            assert (await session.execute(select(visits.c.referrer))).scalar_one() is None
