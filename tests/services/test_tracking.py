"""The tracking service: ingest, visits, enrichment, the live list; on SQLite and on PostgreSQL + Redis."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from services.common.db import utcnow
from services.common.events import ConversationAccepted, ConversationStarted, Event, PageviewsRecorded
from services.common.settings import Settings
from services.common.tokens import Identity
from services.common.track_events import EVENT, TrackBatchReceived
from services.tracking import live
from services.tracking.app import create_app
from services.tracking.models import page_views, visitors, visits
from services.tracking.retention import apply_retention
from tests.helpers import ROOT, as_identity, eventually, operator, running, visitor

GEO_TEST_DB = ROOT / "tests" / "data" / "geo" / "GeoIP2-City-Test.mmdb"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
LIVE_FIELDS = {
    "visitor_id",
    "site_id",
    "visit_id",
    "current_url",
    "current_title",
    "section",
    "first_seen_at",
    "last_seen_at",
    "visit_started_at",
    "page_started_at",
    "pages_viewed",
    "visit_count",
    "returning",
    "ip",
    "location",
    "device",
    "referrer",
    "arrived_via",
    "utm",
    "contact",
    "attributes",
    "chat_state",
}


@pytest.fixture(autouse=True)
def _geo_test_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOIP_DATABASE", str(GEO_TEST_DB))


def pageview(path: str, title: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "pageview", "url": f"https://shop.example{path}", "title": title or path, **extra}


async def track(
    client: httpx.AsyncClient, settings: Settings, guest: Identity, *events: dict[str, Any], ua: str = FIREFOX
) -> httpx.Response:
    headers = {**as_identity(settings, guest), "user-agent": ua}
    return await client.post("/api/v1/track/events", json={"events": list(events)}, headers=headers)


async def live_list(client: httpx.AsyncClient, settings: Settings, account_id: str = "acc-1") -> list[dict[str, Any]]:
    response = await client.get("/api/v1/visitors/live", headers=as_identity(settings, operator(account_id=account_id)))
    assert response.status_code == 200
    visitors_: list[dict[str, Any]] = response.json()["visitors"]
    return visitors_


async def detail(client: httpx.AsyncClient, settings: Settings, visitor_id: str | None) -> dict[str, Any]:
    response = await client.get(f"/api/v1/visitors/{visitor_id}", headers=as_identity(settings, operator()))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def chat_state_is(client: httpx.AsyncClient, settings: Settings, state: str) -> bool:
    return bool((await live_list(client, settings))[0]["chat_state"] == state)


def admin(account_id: str = "acc-1") -> Identity:
    return operator(account_id=account_id).model_copy(update={"role": "admin"})


async def idle_for(app: FastAPI, minutes: float) -> None:
    """Pretend every visitor and visit was last active `minutes` ago."""
    then = utcnow() - timedelta(minutes=minutes)
    async with app.state.runtime.db.transaction() as session:
        await session.execute(update(visitors).values(last_seen_at=then))
        await session.execute(update(visits).values(last_activity_at=then))


async def test_page_views_put_the_visitor_on_the_live_list_with_where_they_are_and_came_from(
    settings: Settings,
) -> None:
    app = create_app(settings)
    guest = visitor().model_copy(update={"ip": "81.2.69.142"})
    async with running(app) as client:
        response = await track(
            client,
            settings,
            guest,
            pageview(
                "/?utm_source=newsletter&utm_campaign=black-friday",
                "Home",
                referrer="https://www.google.com.br/search?q=oled+tv",
            ),
            pageview("/tv/", "TV"),
        )
        assert response.status_code == 202 and response.json() == {"accepted": 2, "rejected": []}
        [shown] = await live_list(client, settings)
        assert set(shown) == LIVE_FIELDS
        assert shown["visitor_id"] == guest.visitor_id and shown["current_title"] == "TV"
        assert shown["pages_viewed"] == 2 and shown["visit_count"] == 1 and shown["returning"] is False
        assert shown["location"]["country_code"] == "GB" and shown["location"]["city"] == "London"
        assert shown["location"]["time_zone"] == "Europe/London" and shown["ip"] == "81.2.69.142"
        assert shown["device"]["browser"] == "Firefox" and shown["device"]["os"] == "Windows"
        assert shown["device"]["device_class"] == "desktop"
        assert shown["arrived_via"] == {"kind": "search", "source": "www.google.com.br", "keywords": "oled tv"}
        assert shown["utm"]["source"] == "newsletter" and shown["utm"]["campaign"] == "black-friday"
        assert shown["chat_state"] == "none" and shown["contact"] is None
        one = await detail(client, settings, guest.visitor_id)
        [visit] = one["visits"]
        assert [p["title"] for p in visit["pages"]] == ["Home", "TV"] and visit["page_count"] == 2
        assert visit["referrer"] == "https://www.google.com.br/search?q=oled+tv"


async def test_a_phone_from_a_private_address_has_a_mobile_device_and_no_location(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor().model_copy(update={"ip": "192.168.1.20"})
    async with running(app) as client:
        await track(client, settings, guest, pageview("/"), ua=IPHONE)
        [shown] = await live_list(client, settings)
    assert shown["location"] is None and shown["device"]["device_class"] == "mobile"
    assert shown["device"]["os"] == "iOS" and shown["arrived_via"] == {
        "kind": "direct",
        "source": None,
        "keywords": None,
    }


async def test_the_live_list_is_newest_first_and_forgets_idle_visitors(settings: Settings) -> None:
    app = create_app(settings)
    first, second = visitor(), visitor()
    async with running(app) as client:
        await track(client, settings, first, pageview("/a"))
        await track(client, settings, second, pageview("/b"))
        assert [v["visitor_id"] for v in await live_list(client, settings)] == [second.visitor_id, first.visitor_id]
        await app.state.runtime.extras["tracker"].board.store.expire(utcnow().timestamp() + 1)
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


async def test_a_visitor_id_of_one_site_cannot_write_into_another(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor(account_id="acc-1", site_id="site-1")
    for intruder in (
        visitor(account_id="acc-2", visitor_id=guest.visitor_id),
        visitor(account_id="acc-1", site_id="site-2", visitor_id=guest.visitor_id),
    ):
        async with running(app) as client:
            await track(client, settings, guest, pageview("/"))
            refused = await track(client, settings, intruder, pageview("/phishing"))
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "visitor_of_another_site"
            assert (await detail(client, settings, guest.visitor_id))["current_url"] == "https://shop.example/"


async def test_a_new_visit_starts_after_thirty_idle_minutes_and_history_keeps_the_old_one(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        await track(client, settings, guest, pageview("/"), pageview("/tv/"))
        await idle_for(app, 29)
        await track(client, settings, guest, pageview("/radio/"))
        assert (await detail(client, settings, guest.visitor_id))["visit_count"] == 1
        await idle_for(app, 31)
        await track(client, settings, guest, pageview("/casa/"))
        back = await detail(client, settings, guest.visitor_id)
    assert back["visit_count"] == 2 and back["returning"] is True and back["pages_viewed"] == 1
    assert [[p["title"] for p in v["pages"]] for v in back["visits"]] == [["/casa/"], ["/", "/tv/", "/radio/"]]


async def test_concurrent_batches_of_a_new_visitor_all_count_in_one_visit(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        responses = await asyncio.gather(
            *(track(client, settings, guest, pageview(f"/p{i}"), pageview(f"/p{i}/more")) for i in range(6))
        )
        assert [r.status_code for r in responses] == [202] * 6
        one = await detail(client, settings, guest.visitor_id)
        assert one["pages_viewed"] == 12 and one["visit_count"] == 1 and len(one["visits"][0]["pages"]) == 12
        async with app.state.runtime.db.reading() as session:
            assert await session.scalar(select(func.count()).select_from(visits)) == 1


async def test_a_retried_batch_stores_its_page_once_and_the_longest_visible_time_wins(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        batch = [
            pageview("/tv/", "TV", page_id="page-0001"),
            {"type": "engagement", "page_id": "page-0001", "visible_seconds": 12.5},
        ]
        assert (await track(client, settings, guest, *batch)).json()["accepted"] == 2
        assert (await track(client, settings, guest, *batch)).json()["accepted"] == 2
        later = await track(
            client, settings, guest, {"type": "engagement", "page_id": "page-0001", "visible_seconds": 40}
        )
        assert later.json() == {"accepted": 1, "rejected": []}
        shorter = await track(
            client, settings, guest, {"type": "engagement", "page_id": "page-0001", "visible_seconds": 3}
        )
        assert shorter.status_code == 202
        unknown = await track(
            client, settings, guest, {"type": "engagement", "page_id": "page-9999", "visible_seconds": 3}
        )
        assert unknown.json()["rejected"][0]["code"] == "unknown_page"
        [page] = (await detail(client, settings, guest.visitor_id))["visits"][0]["pages"]
    assert page["page_id"] == "page-0001" and page["time_spent_seconds"] == 40


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
        await eventually(lambda: len(frames) >= 2)
        assert await live_list(client, settings) == []
    assert frames[0]["type"] == "visitor.updated" and set(frames[0]["visitor"]) == LIVE_FIELDS
    assert frames[0]["visitor"]["current_title"] == "OLED" and frames[0]["visitor"]["visitor_id"] == guest.visitor_id
    assert frames[1:] == [{"type": "visitor.left", "visitor_id": guest.visitor_id}]
    assert others == []


async def test_every_page_view_is_published_in_one_event_per_batch_and_site(settings: Settings) -> None:
    app = create_app(settings)
    guest, other = visitor(), visitor()
    received: list[Event] = []

    async def probe(event: Event) -> None:
        received.append(event)

    async with running(app) as client:
        await app.state.runtime.bus.consume("probe", [PageviewsRecorded.TYPE], probe)
        await track(client, settings, guest, pageview("/a", "A"), pageview("/b", "B"))
        await track(client, settings, other, pageview("/c", "C"))
        await eventually(lambda: sum(len(e.payload["page_views"]) for e in received) >= 3)
    views = [v for e in received for v in PageviewsRecorded.model_validate(e.payload).page_views]
    assert [(v.url, v.title) for v in views] == [
        ("https://shop.example/a", "A"),
        ("https://shop.example/b", "B"),
        ("https://shop.example/c", "C"),
    ]
    assert {e.account_id for e in received} == {"acc-1"} and {e.payload["site_id"] for e in received} == {"site-1"}
    assert [v.visitor_id for v in views] == [guest.visitor_id, guest.visitor_id, other.visitor_id]


async def test_bad_events_are_refused_one_by_one_and_the_good_ones_stored(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    now = utcnow()
    async with running(app) as client:
        response = await track(
            client,
            settings,
            guest,
            pageview("/ok"),
            {"type": "pageview", "url": "javascript:alert(1)"},
            {"type": "pageview", "url": "/relative/path"},
            pageview("/", "t" * 513),
            {"type": "purchase", "url": "https://shop.example/"},
            pageview("/future", at=(now + timedelta(hours=1)).isoformat()),
            pageview("/ancient", at=(now - timedelta(days=3)).isoformat()),
            pageview("/late", at=(now - timedelta(minutes=2)).isoformat()),
        )
        assert response.status_code == 202
        body = response.json()
        assert body["accepted"] == 2
        assert [(r["index"], r["code"]) for r in body["rejected"]] == [
            (1, "invalid_event"),
            (2, "invalid_event"),
            (3, "invalid_event"),
            (4, "invalid_event"),
            (5, "event_time_out_of_range"),
            (6, "event_time_out_of_range"),
        ]
        assert "url" in body["rejected"][0]["message"]
        pages = (await detail(client, settings, guest.visitor_id))["visits"][0]["pages"]
        assert [p["title"] for p in pages] == ["/late", "/ok"]  # in the order they happened


async def test_malformed_batches_are_refused_whole_and_nothing_is_stored(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        for body, field in [
            ({"events": [pageview("/")] * 101}, "events"),
            ({"events": []}, "events"),
            ({"events": [pageview("/")], "extra": True}, "extra"),
            ({"events": "pageview"}, "events"),
        ]:
            response = await client.post("/api/v1/track/events", json=body, headers=headers)
            assert response.status_code == 422, body
            assert field in [d["field"] for d in response.json()["error"]["details"]]
        for raw in (b"hello", b"[1, 2]", b"\xff\xfe"):
            bad = await client.post(
                "/api/v1/track/events", content=raw, headers={**headers, "content-type": "text/plain"}
            )
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed_json"
        huge = {"events": [pageview("/" + "x" * 2000, "t" * 500)] * 40}
        too_big = await client.post("/api/v1/track/events", json=huge, headers=headers)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "body_too_large"
        assert await live_list(client, settings) == []
        beacon = await client.post(
            "/api/v1/track/events",
            content=b'{"events": [{"type": "pageview", "url": "https://shop.example/bye"}]}',
            headers={**headers, "content-type": "text/plain;charset=UTF-8"},
        )
        assert beacon.status_code == 202 and beacon.json()["accepted"] == 1


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


async def test_sections_products_and_searches_come_from_the_site_patterns_and_the_js_api(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    patterns = {
        "sections": [{"name": "IT", "pattern": "/informatica/*"}, {"name": "TV", "pattern": "/tv*"}],
        "products": [{"pattern": "/informatica/produto/{sku}"}],
        "searches": [{"pattern": "/busca", "param": "q"}],
        "retention_days": 90,
    }
    async with running(app) as client:
        refused = await client.put(
            "/api/v1/track/settings/site-1", json=patterns, headers=as_identity(settings, operator())
        )
        assert refused.status_code == 403
        bad = await client.put(
            "/api/v1/track/settings/site-1",
            json={"sections": [{"name": "IT", "pattern": "informatica"}]},
            headers=as_identity(settings, admin()),
        )
        assert bad.status_code == 422 and "sections.0.pattern" in bad.text
        saved = await client.put("/api/v1/track/settings/site-1", json=patterns, headers=as_identity(settings, admin()))
        assert saved.status_code == 200
        read = await client.get("/api/v1/track/settings/site-1", headers=as_identity(settings, operator()))
        assert read.json() == patterns
        other = await client.get(
            "/api/v1/track/settings/site-1", headers=as_identity(settings, operator(account_id="acc-2"))
        )
        assert other.status_code == 404
        await track(
            client,
            settings,
            guest,
            pageview("/informatica/produto/nb-123", "Notebook X", page_id="page-0001"),
            pageview("/busca?q=monitor+4k", "Busca", page_id="page-0002"),
            {
                "type": "product",
                "page_id": "page-0002",
                "sku": "mon-9",
                "name": "Monitor 4K",
                "price": 1999.9,
                "currency": "BRL",
            },
            {"type": "search", "query": "cadeira gamer"},
            {"type": "attributes", "attributes": {"cart_value": 2100.5, "plan": "gold"}},
        )
        [shown] = await live_list(client, settings)
        assert shown["section"] is None and shown["attributes"] == {"cart_value": 2100.5, "plan": "gold"}
        one = await detail(client, settings, guest.visitor_id)
    assert [p["section"] for p in one["visits"][0]["pages"]] == ["IT", None]
    assert [(p["sku"], p["name"]) for p in one["products"]] == [("mon-9", "Monitor 4K"), ("nb-123", "Notebook X")]
    assert [s["query"] for s in one["searches"]] == ["cadeira gamer", "monitor 4k"]


async def test_robots_are_kept_out_of_the_live_list_and_the_events(settings: Settings) -> None:
    settings = settings.model_copy(update={"robot_burst_pages": 5, "robot_burst_seconds": 10})
    app = create_app(settings)
    crawler = visitor().model_copy(update={"robot": "crawler"})
    scraper = visitor()
    received: list[Event] = []

    async def probe(event: Event) -> None:
        received.append(event)

    async with running(app) as client:
        await app.state.runtime.bus.consume("probe", [PageviewsRecorded.TYPE, "visitor.robot_detected"], probe)
        await track(client, settings, crawler, pageview("/"))
        await track(client, settings, scraper, *(pageview(f"/p{i}") for i in range(3)))
        assert [v["visitor_id"] for v in await live_list(client, settings)] == [scraper.visitor_id]
        await track(client, settings, scraper, *(pageview(f"/q{i}") for i in range(3)))
        assert await live_list(client, settings) == []
        found = await detail(client, settings, scraper.visitor_id)
        assert found["is_robot"] is True and found["robot_reason"] == "behaviour"
        assert (await detail(client, settings, crawler.visitor_id))["robot_reason"] == "crawler"
        await eventually(lambda: any(e.type == "visitor.robot_detected" for e in received))
    counted = {v["visitor_id"] for e in received if e.type == PageviewsRecorded.TYPE for v in e.payload["page_views"]}
    assert counted == {scraper.visitor_id}
    assert [e.payload["reason"] for e in received if e.type == "visitor.robot_detected"] == ["behaviour"]


async def test_an_identified_visitor_shows_as_the_contact_and_their_chat_state_follows_the_chat(
    settings: Settings,
) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        early = await client.post(
            "/internal/v1/track/identify", json={"user_id": "u-1", "verified": True}, headers=headers
        )
        assert early.status_code == 200  # before the first page view is stored: the visitor starts there
        intruder = as_identity(settings, visitor(site_id="site-2", visitor_id=guest.visitor_id))
        foreign = await client.post(
            "/internal/v1/track/identify", json={"user_id": "u-1", "verified": True}, headers=intruder
        )
        assert foreign.status_code == 403
        await track(client, settings, guest, pageview("/"))
        body = {"user_id": "u-1", "email": "ana@example.com", "name": "Ana", "verified": True}
        identified = await client.post("/internal/v1/track/identify", json=body, headers=headers)
        assert identified.status_code == 200 and identified.json()["verified"] is True
        [shown] = await live_list(client, settings)
        assert shown["contact"]["name"] == "Ana" and shown["contact"]["user_id"] == "u-1"
        bus = app.state.runtime.bus
        await bus.publish_event(
            ConversationStarted(
                conversation_id="c-1", site_id="site-1", visitor_id=guest.visitor_id, started_at=utcnow()
            ).to_event("acc-1")
        )
        assert await eventually(lambda: chat_state_is(client, settings, "waiting"))
        await bus.publish_event(
            ConversationAccepted(
                conversation_id="c-1", user_id="user-1", accepted_at=utcnow(), waited_seconds=3
            ).to_event("acc-1")
        )
        assert await eventually(lambda: chat_state_is(client, settings, "active"))


async def test_a_visitor_can_be_exported_and_erased(settings: Settings) -> None:
    app = create_app(settings)
    guest, other = visitor(), visitor()
    received: list[Event] = []

    async def probe(event: Event) -> None:
        received.append(event)

    async with running(app) as client:
        await app.state.runtime.bus.consume("probe", ["visitor.erased"], probe)
        await track(client, settings, guest, pageview("/a", page_id="page-0001"), {"type": "search", "query": "tv"})
        await track(client, settings, other, pageview("/b"))
        await client.post(
            "/internal/v1/track/identify",
            json={"user_id": "u-9", "email": "z@example.com", "verified": False},
            headers=as_identity(settings, guest),
        )
        path = f"/api/v1/visitors/{guest.visitor_id}"
        assert (await client.get(f"{path}/export", headers=as_identity(settings, operator()))).status_code == 403
        exported = (await client.get(f"{path}/export", headers=as_identity(settings, admin()))).json()
        assert exported["contact"]["email"] == "z@example.com"
        assert [p["url"] for p in exported["visits"][0]["pages"]] == ["https://shop.example/a"]
        assert [s["query"] for s in exported["searches"]] == ["tv"]
        assert (await client.delete(path, headers=as_identity(settings, admin(account_id="acc-2")))).status_code == 404
        assert (await client.delete(path, headers=as_identity(settings, admin()))).status_code == 204
        assert (await client.get(path, headers=as_identity(settings, operator()))).status_code == 404
        assert [v["visitor_id"] for v in await live_list(client, settings)] == [other.visitor_id]
        await eventually(lambda: len(received) >= 1)
        async with app.state.runtime.db.reading() as session:
            left = await session.scalar(select(func.count()).select_from(page_views))
    assert left == 1 and [e.payload["visitor_id"] for e in received] == [guest.visitor_id]


async def test_retention_deletes_page_views_and_visits_older_than_the_site_keeps(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        await client.put(
            "/api/v1/track/settings/site-1", json={"retention_days": 30}, headers=as_identity(settings, admin())
        )
        await track(client, settings, guest, pageview("/old"))
        async with app.state.runtime.db.transaction() as session:
            old = utcnow() - timedelta(days=31)
            await session.execute(update(page_views).values(viewed_at=old))
            await session.execute(update(visits).values(started_at=old, last_activity_at=old))
            await session.execute(update(visitors).values(last_seen_at=old))
        await track(client, settings, guest, pageview("/new"))
        assert await apply_retention(app.state.runtime) == 1
        one = await detail(client, settings, guest.visitor_id)
    assert [[p["url"] for p in v["pages"]] for v in one["visits"]] == [["https://shop.example/new"]]


async def test_events_waiting_to_be_written_are_stored_before_the_service_stops(settings: Settings) -> None:
    app = create_app(settings)
    guests = [visitor() for _ in range(20)]
    async with running(app) as client:
        pending = [asyncio.create_task(track(client, settings, g, pageview("/last"))) for g in guests]
        await asyncio.sleep(0)
    responses = await asyncio.gather(*pending)
    assert [r.status_code for r in responses] == [202] * 20
    async with app.state.runtime.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(page_views)) == 20


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
async def test_two_replicas_share_one_live_list_and_announce_a_departure_once(settings: Settings) -> None:
    settings = settings.model_copy(update={"live_idle_seconds": 1})
    one, two = create_app(settings), create_app(settings)
    guest = visitor()
    frames: list[dict[str, Any]] = []

    async def collect(_: str, frame: dict[str, Any]) -> None:
        frames.append(frame)

    async with running(one) as first, running(two) as second:
        await one.state.runtime.bus.subscribe("account:acc-1", collect)
        await asyncio.sleep(0.1)
        await track(first, settings, guest, pageview("/a"))
        assert [v["current_url"] for v in await live_list(second, settings)] == ["https://shop.example/a"]
        await asyncio.sleep(1.2)
        gone = [
            await one.state.runtime.extras["tracker"].board.announce_departures(),
            await two.state.runtime.extras["tracker"].board.announce_departures(),
        ]
        await eventually(lambda: any(f["type"] == "visitor.left" for f in frames))
    assert sorted(gone) == [0, 1]
    assert [f for f in frames if f["type"] == "visitor.left"] == [
        {"type": "visitor.left", "visitor_id": guest.visitor_id}
    ]


async def test_a_batch_accepted_at_the_edge_is_stored_once_however_often_it_is_delivered(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor().model_copy(update={"ip": "81.2.69.142"})
    now = utcnow()
    raw = [pageview("/a", "A", page_id="page-000a"), {"type": "search", "query": "tv"}, pageview("/b", "B")]
    checked = [
        (0, EVENT.validate_python(raw[0]), now),
        (1, EVENT.validate_python(raw[1]), now),
        (2, EVENT.validate_python(raw[2]), now),
    ]
    accepted = TrackBatchReceived.of(guest, FIREFOX, now, raw, checked).to_event(guest.account_id)
    async with running(app) as client:
        for _ in range(3):  # a redelivery after a crash, a second consumer's claim
            await app.state.runtime.bus.publish_event(accepted)
        await eventually(lambda: live_list(client, settings))
        await asyncio.sleep(0.3)
        one = await detail(client, settings, guest.visitor_id)
    assert [p["title"] for p in one["visits"][0]["pages"]] == ["A", "B"]
    assert [s["query"] for s in one["searches"]] == ["tv"] and one["location"]["country_code"] == "GB"
