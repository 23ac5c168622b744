"""The gateway's edge for visitors: robots, block lists, consent, Do-Not-Track, identity, rate limits."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from redis.asyncio import Redis

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.gateway.widget_session import signature_of
from services.tracking.app import create_app as create_tracking
from tests.chat_client import SITE_KEY, login
from tests.helpers import BROWSER_UA, ROOT, TEST_REDIS_URL, eventually, free_port, live_server

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _geo_test_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOIP_DATABASE", str(ROOT / "tests" / "data" / "geo" / "GeoIP2-City-Test.mmdb"))


@asynccontextmanager
async def edge(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}", **overrides})
    bus = MemoryBus() if settings.redis_url is None else None
    services = {"chat": create_chat(settings, bus), "tracking": create_tracking(settings, bus)}
    app = create_gateway(settings, bus, services)
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            yield base, client


async def session(client: httpx.AsyncClient, **headers: str) -> dict[str, Any]:
    response = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def admin(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    tokens = await login(client)
    headers = bearer(tokens["access_token"])
    site_id = (await client.get("/api/v1/sites", headers=headers)).json()["sites"][0]["id"]

    async def tracking_knows_the_site() -> bool:  # from the gateway's `site.created`, a moment after the start
        return (await client.get(f"/api/v1/track/settings/{site_id}", headers=headers)).status_code == 200

    assert await eventually(tracking_knows_the_site)
    return headers, site_id


def page(base: str, path: str) -> dict[str, Any]:
    return {"type": "pageview", "url": f"{base}/demo{path}", "title": path}


async def live(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    visitors: list[dict[str, Any]] = (await client.get("/api/v1/visitors/live", headers=headers)).json()["visitors"]
    return visitors


async def live_when(
    client: httpx.AsyncClient, headers: dict[str, str], ready: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The live list once `ready` says so (events accepted at the edge are stored a moment later when
    distributed), or as it is after 5 s."""
    for _ in range(100):
        visitors = await live(client, headers)
        if ready(visitors):
            return visitors
        await asyncio.sleep(0.05)
    return await live(client, headers)


async def test_crawlers_and_headless_browsers_get_no_chat_and_are_not_on_the_live_list(settings: Settings) -> None:
    async with edge(settings) as (base, client):
        staff, _ = await admin(client)
        person = await session(client)
        assert person["robot"] is False and person["tracking"]["enabled"] is True
        for agent in (GOOGLEBOT, HEADLESS):
            robot = await session(client, **{"user-agent": agent})
            assert robot["robot"] is True and robot["tracking"]["enabled"] is False
            chat = await client.post(
                "/api/v1/conversations", json={"text": "hi"}, headers=bearer(robot["visitor_token"])
            )
            assert chat.status_code == 403 and chat.json()["error"]["code"] == "robots_get_no_chat"
            tracked = await client.post(
                "/api/v1/track/events", json={"events": [page(base, "/")]}, headers=bearer(robot["visitor_token"])
            )
            assert tracked.status_code == 202
        await client.post(
            "/api/v1/track/events", json={"events": [page(base, "/")]}, headers=bearer(person["visitor_token"])
        )
        await asyncio.sleep(0.3)  # the robots' events, accepted before, have had their chance to show
        assert [v["visitor_id"] for v in await live_when(client, staff, bool)] == [person["visitor_id"]]


async def test_a_site_blocks_by_address_range_country_user_agent_and_robots(settings: Settings) -> None:
    async with edge(settings, trusted_proxies="127.0.0.1") as (base, client):
        staff, site_id = await admin(client)
        token = (await session(client))["visitor_token"]
        bad = await client.patch(f"/api/v1/sites/{site_id}", json={"blocking": {"ips": ["10.0.0.0/33"]}}, headers=staff)
        assert bad.status_code == 422
        blocking = {"ips": ["203.0.113.0/24"], "countries": ["se"], "user_agents": ["EvilScraper"], "robots": True}
        changed = await client.patch(f"/api/v1/sites/{site_id}", json={"blocking": blocking}, headers=staff)
        assert changed.status_code == 200 and changed.json()["blocking"]["countries"] == ["SE"]
        for headers in (
            {"x-forwarded-for": "203.0.113.7"},
            {"x-forwarded-for": "89.160.20.112"},  # Sweden in MaxMind's test data
            {"user-agent": "Mozilla/5.0 evilscraper/2.0"},
            {"user-agent": GOOGLEBOT},
        ):
            refused = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY}, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "blocked", headers
        events = await client.post(
            "/api/v1/track/events",
            json={"events": [page(base, "/")]},
            headers={**bearer(token), "x-forwarded-for": "203.0.113.9"},
        )
        assert events.status_code == 403 and events.json()["error"]["code"] == "blocked"
        assert (await session(client, **{"x-forwarded-for": "81.2.69.142"}))["robot"] is False


@pytest.mark.parametrize(("trusted", "expected"), [("127.0.0.1", "81.2.69.142"), ("", "127.0.0.1")])
async def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(
    settings: Settings, trusted: str, expected: str
) -> None:
    async with edge(settings, trusted_proxies=trusted) as (base, client):
        staff, _ = await admin(client)
        token = (await session(client))["visitor_token"]
        headers = {**bearer(token), "x-forwarded-for": "81.2.69.142"}
        await client.post("/api/v1/track/events", json={"events": [page(base, "/")]}, headers=headers)
        [shown] = await live_when(client, staff, bool)
    assert shown["ip"] == expected
    assert (shown["location"] or {}).get("city") == ("London" if trusted else None)


async def test_nothing_is_tracked_before_consent_where_the_site_asks_for_it(settings: Settings) -> None:
    async with edge(settings) as (base, client):
        staff, site_id = await admin(client)
        await client.patch(f"/api/v1/sites/{site_id}", json={"privacy": {"consent_required": True}}, headers=staff)
        first = await session(client)
        assert first["tracking"] == {"enabled": False, "consent_required": True, "consent": False, "honor_dnt": False}
        body = {"events": [page(base, "/")]}
        dropped = await client.post("/api/v1/track/events", json=body, headers=bearer(first["visitor_token"]))
        assert dropped.status_code == 202 and dropped.json() == {"accepted": 0, "dropped": True, "reason": "no_consent"}
        assert await live(client, staff) == []
        granted = await client.post(
            "/api/v1/widget/consent", json={"granted": True}, headers=bearer(first["visitor_token"])
        )
        assert granted.json()["consent"] is True
        token = granted.json()["visitor_token"]
        again = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY, "visitor_token": token})
        assert again.json()["tracking"]["enabled"] is True and again.json()["visitor_id"] == first["visitor_id"]
        stored = await client.post("/api/v1/track/events", json=body, headers=bearer(token))
        assert stored.json()["accepted"] == 1
        assert [v["visitor_id"] for v in await live_when(client, staff, bool)] == [first["visitor_id"]]


async def test_do_not_track_is_honoured_where_the_site_says_so(settings: Settings) -> None:
    async with edge(settings) as (base, client):
        staff, site_id = await admin(client)
        token = (await session(client))["visitor_token"]
        body = {"events": [page(base, "/")]}
        assert (await client.post("/api/v1/track/events", json=body, headers={**bearer(token), "dnt": "1"})).json()[
            "accepted"
        ] == 1
        await client.patch(f"/api/v1/sites/{site_id}", json={"privacy": {"honor_dnt": True}}, headers=staff)
        other = (await session(client))["visitor_token"]
        dropped = await client.post("/api/v1/track/events", json=body, headers={**bearer(other), "dnt": "1"})
        assert dropped.json() == {"accepted": 0, "dropped": True, "reason": "do_not_track"}
        await asyncio.sleep(0.3)
        assert len(await live_when(client, staff, bool)) == 1


async def test_the_beacon_sends_its_token_in_a_text_body_never_in_the_url(settings: Settings) -> None:
    async with edge(settings) as (base, client):
        staff, _ = await admin(client)
        visitor = await session(client)
        token = visitor["visitor_token"]
        event = f'{{"type": "pageview", "url": "{base}/demo/bye", "page_id": "page-0001"}}'
        beacon = await client.post(
            "/api/v1/track/events",
            content=f'{{"visitor_token": "{token}", "events": [{event}]}}',
            headers={"content-type": "text/plain;charset=UTF-8"},
        )
        assert beacon.status_code == 202 and beacon.json()["accepted"] == 1
        assert (await live_when(client, staff, bool))[0]["current_url"] == f"{base}/demo/bye"
        in_url = await client.post(f"/api/v1/track/events?vt={token}", content=f'{{"events": [{event}]}}')
        assert in_url.status_code == 401 and in_url.json()["error"]["code"] == "not_authenticated"
        forged = await client.post("/api/v1/track/events", json={"visitor_token": token[:-3] + "abc", "events": [{}]})
        assert forged.status_code == 401
        elsewhere = await client.get(f"/api/v1/conversations/current?vt={token}")
        assert elsewhere.status_code == 401


def handled(metrics: str, status: int) -> float:
    line = f'fw_http_requests_total{{method="POST",service="gateway",status="{status}"}}'
    return sum(float(row.split()[-1]) for row in metrics.splitlines() if row.startswith(line))


async def test_the_event_endpoint_answers_browsers_across_origins_and_is_counted(settings: Settings) -> None:
    """The endpoint is served outside FastAPI's routing: its answers must still carry CORS headers, its
    errors the API's JSON, and its requests must show in the metrics."""
    async with edge(settings) as (base, client):
        token = (await session(client))["visitor_token"]
        before = generate_latest().decode()  # the process's metrics (served on its metrics port)
        url = "/api/v1/track/events"
        body = f'{{"visitor_token": "{token}", "events": [{{"type": "pageview", "url": "{base}/demo/tv"}}]}}'
        accepted = await client.post(url, content=body, headers={"content-type": "text/plain"})
        assert accepted.status_code == 202 and accepted.json() == {"accepted": 1, "rejected": []}
        assert accepted.headers["access-control-allow-origin"] == base
        foreign = await client.post(url, content=body, headers={"origin": "https://elsewhere.example"})
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "origin_not_allowed"
        broken = await client.post(url, content=b"{not json", headers={"content-type": "text/plain"})
        assert broken.status_code == 400 and broken.json()["error"]["code"] == "malformed_json"
        assert broken.headers["access-control-allow-origin"] == base  # the page can read why

        async def endless() -> AsyncIterator[bytes]:  # no Content-Length: refused while it arrives
            yield b'{"events": ['
            for _ in range(10_000):
                yield b" " * 1024

        huge = await client.post(url, content=endless(), headers={"content-type": "text/plain"})
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
        after = generate_latest().decode()
        assert handled(after, 202) - handled(before, 202) == 1
        assert handled(after, 403) - handled(before, 403) == 1
        assert handled(after, 400) - handled(before, 400) == 1
        assert handled(after, 413) - handled(before, 413) == 1


async def test_the_gateway_stops_accepting_before_the_stream_could_drop_unstored_batches(settings: Settings) -> None:
    """Redis keeps the last 200,000 entries of a stream, stored or not: while tracking is that far behind,
    new batches are refused (503, the widget sends them again) instead of being accepted and lost."""
    if settings.redis_url is None:
        pytest.skip("the memory bus stores a batch before accepting it")
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}", "track_backlog_limit": 3})
    app = create_gateway(settings)  # no tracking service runs: its consumer group is there, reading nothing
    redis = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    stream = f"{settings.redis_prefix}:ev:track.batch"
    await redis.xgroup_create(stream, "tracking", id="0", mkstream=True)
    try:
        async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
            headers = {"origin": base, "user-agent": BROWSER_UA}
            async with httpx.AsyncClient(base_url=base, headers=headers) as client:
                token = (await session(client))["visitor_token"]
                answers: list[int] = []

                async def refused() -> bool:
                    body = {"events": [page(base, f"/{len(answers)}")]}
                    answer = await client.post("/api/v1/track/events", json=body, headers=bearer(token))
                    answers.append(answer.status_code)
                    if answer.status_code == 503:
                        assert answer.json()["error"]["code"] == "tracking_busy"
                    return answer.status_code == 503

                assert await eventually(refused, seconds=5)
                assert answers.count(202) >= 3 and await redis.xlen(stream) == answers.count(202)
                # tracking catches up: batches are taken again
                read = await redis.xreadgroup("tracking", "t1", {stream: ">"}, count=1000)
                await redis.xack(stream, "tracking", *[entry_id for entry_id, _ in read[0][1]])
                assert await eventually(lambda: _accepted(client, base, token), seconds=5)
    finally:
        await redis.delete(stream)
        await redis.aclose()


async def _accepted(client: httpx.AsyncClient, base: str, token: str) -> bool:
    body = {"events": [page(base, "/again")]}
    return (await client.post("/api/v1/track/events", json=body, headers=bearer(token))).status_code == 202


async def test_a_signed_identity_makes_a_verified_contact_and_a_bad_one_is_refused(settings: Settings) -> None:
    async with edge(settings) as (base, client):
        staff, site_id = await admin(client)
        assert (await client.get(f"/api/v1/sites/{site_id}", headers=staff)).json()["secret"] is None
        secret = (await client.post(f"/api/v1/sites/{site_id}/secret", headers=staff)).json()["secret"]
        assert secret and len(secret) >= 32
        token = (await session(client))["visitor_token"]
        await client.post("/api/v1/track/events", json={"events": [page(base, "/")]}, headers=bearer(token))
        ana = {"user_id": "crm-42", "email": "ana@example.com", "name": "Ana Lima", "phone": "+55 81 99999-0000"}
        wrong = await client.post("/api/v1/widget/identify", json={**ana, "signature": "0" * 64}, headers=bearer(token))
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "identity_not_verified"
        unsigned = await client.post("/api/v1/widget/identify", json=ana, headers=bearer(token))
        assert unsigned.status_code == 200 and unsigned.json()["verified"] is False
        signed = {**ana, "signature": signature_of(secret, "crm-42")}
        good = await client.post("/api/v1/widget/identify", json=signed, headers=bearer(token))
        assert good.status_code == 200 and good.json()["verified"] is True
        [shown] = await live_when(client, staff, lambda v: bool(v and v[0]["contact"] and v[0]["contact"]["verified"]))
        assert shown["contact"]["name"] == "Ana Lima" and shown["contact"]["verified"] is True
        await client.patch(f"/api/v1/sites/{site_id}", json={"privacy": {"identity_verification": True}}, headers=staff)
        required = await client.post("/api/v1/widget/identify", json=ana, headers=bearer(token))
        assert required.status_code == 403
        rotated = (await client.post(f"/api/v1/sites/{site_id}/secret", headers=staff)).json()["secret"]
        assert rotated != secret
        stale = await client.post("/api/v1/widget/identify", json=signed, headers=bearer(token))
        assert stale.status_code == 403
        operator_view = await client.get(
            f"/api/v1/sites/{site_id}", headers=bearer((await login(client, "olga@demo.example"))["access_token"])
        )
        assert operator_view.json()["secret"] is None
        internal = await client.post(
            "/internal/v1/track/identify", json={**ana, "verified": True}, headers=bearer(token)
        )
        assert internal.status_code == 404


async def test_a_visitor_sending_too_much_is_slowed_down(settings: Settings) -> None:
    async with edge(settings, rate_limit_visitor_per_minute=5) as (base, client):
        token = (await session(client))["visitor_token"]
        codes = []
        for i in range(7):
            response = await client.post(
                "/api/v1/track/events", json={"events": [page(base, f"/{i}")]}, headers=bearer(token)
            )
            codes.append(response.status_code)
        assert codes == [202] * 5 + [429] * 2
        assert int(response.headers["retry-after"]) >= 1 and response.json()["error"]["code"] == "rate_limited"


async def test_tracking_settings_of_another_accounts_site_are_out_of_reach(settings: Settings) -> None:
    async with edge(settings) as (_, client):
        staff, site_id = await admin(client)
        mine = await client.put(f"/api/v1/track/settings/{site_id}", json={"retention_days": 30}, headers=staff)
        assert mine.status_code == 200
        other = await client.put(
            "/api/v1/track/settings/site-of-someone-else", json={"retention_days": 1}, headers=staff
        )
        assert other.status_code == 404 and other.json()["error"]["code"] == "site_not_found"
