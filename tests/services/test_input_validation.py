"""No input gives a 500: the attacks of the audit (issue 9) against the whole product, on both backends."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.reporting.app import create_app as create_reporting
from services.rules.app import create_app as create_rules
from services.tracking.app import create_app as create_tracking
from tests.chat_client import login, visitor_session
from tests.helpers import BROWSER_UA, eventually, free_port, live_server

ADMIN_KEY = "test-admin-key"


@asynccontextmanager
async def product(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}", "admin_api_key": ADMIN_KEY})
    bus = MemoryBus() if settings.redis_url is None else None
    services = {
        "chat": create_chat(settings, bus),
        "tracking": create_tracking(settings, bus),
        "rules": create_rules(settings, bus),
        "reporting": create_reporting(settings, bus),
    }
    app = create_gateway(settings, bus, services)
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            yield base, client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_what_gave_500s_gives_a_4xx_json_answer(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    async with product(settings) as (_, client):
        staff = bearer((await login(client, "olga@demo.example"))["access_token"])
        guest = bearer((await visitor_session(client))["visitor_token"])
        started = await client.post("/api/v1/conversations", json={"text": "hello"}, headers=guest)
        assert started.status_code == 201, started.text
        conversation = started.json()["id"]
        messages = f"/api/v1/conversations/{conversation}/messages"

        answers: dict[str, httpx.Response] = {
            "control character in a path id, no auth": await client.post("/api/v1/conversations/%01/accept"),
            "NUL in a path id": await client.post("/api/v1/conversations/%00/accept", headers=staff),
            "after_seq=10**30": await client.get(messages, params={"after_seq": 10**30}, headers=staff),
            "30,000 [ to tracking": await client.post(
                "/api/v1/track/events", content=b"[" * 30_000, headers={**guest, "content-type": "text/plain"}
            ),
            "30,000 [ to chat": await client.post(
                messages, content=b"[" * 30_000, headers={**guest, "content-type": "application/json"}
            ),
            "30,000 [ to the login": await client.post(
                "/api/v1/auth/login", content=b'{"email":' * 30_000, headers={"content-type": "application/json"}
            ),
            "lone surrogate in a message": await client.post(
                messages,
                content=b'{"client_msg_id": "m1", "text": "\\ud800"}',
                headers={**guest, "content-type": "application/json"},
            ),
            "NUL in a message": await client.post(
                messages, json={"client_msg_id": "m2", "text": "a\x00"}, headers=guest
            ),
            "NUL in a page title": await client.post(
                "/api/v1/track/events",
                json={"events": [{"type": "pageview", "url": "https://shop.example/", "title": "\x00"}]},
                headers=guest,
            ),
            "NUL in a query": await client.get(
                "/api/v1/conversations/export", params={"visitor_id": "\x00"}, headers=staff
            ),
            "a report from year 1": await client.get(
                "/api/v1/reports/summary", params={"to": "0001-01-01"}, headers=staff
            ),
        }
        for attack, answer in answers.items():
            assert 400 <= answer.status_code < 500, (attack, answer.status_code, answer.text)
            assert answer.json()["error"]["code"], attack
        assert answers["control character in a path id, no auth"].status_code == 404
        assert answers["after_seq=10**30"].status_code == 422
        assert answers["30,000 [ to tracking"].json()["error"]["code"] == "json_too_deep"
        assert answers["lone surrogate in a message"].json()["error"]["code"] == "invalid_characters"
        history = (await client.get(messages, headers=staff)).json()["messages"]
        assert [m["text"] for m in history] == ["hello"]  # nothing of the refused ones was stored
    assert no_tracebacks(caplog) == []


async def other_account_admin(client: httpx.AsyncClient) -> dict[str, str]:
    account = {
        "name": "Other Shop",
        "admin_email": "boss@other.example",
        "admin_password": "a long enough password 9",
        "admin_name": "Boss",
    }
    created = await client.post("/api/v1/accounts", json=account, headers={"x-admin-key": ADMIN_KEY})
    assert created.status_code == 201, created.text
    tokens = await client.post(
        "/api/v1/auth/login", json={"email": account["admin_email"], "password": account["admin_password"]}
    )
    assert tokens.status_code == 200, tokens.text
    return bearer(tokens.json()["access_token"])


async def test_another_account_cannot_reach_a_sites_settings_through_an_encoded_path(settings: Settings) -> None:
    async with product(settings) as (_, client):
        owner = bearer((await login(client))["access_token"])
        site_id = (await client.get("/api/v1/sites", headers=owner)).json()["sites"][0]["id"]

        async def seeded() -> bool:  # the demo seed stores the site's settings in the background
            answer = await client.get(f"/api/v1/track/settings/{site_id}", headers=owner)
            return answer.status_code == 200 and answer.json()["retention_days"] == 365

        assert await eventually(seeded, 30)
        before = await client.get(f"/api/v1/track/settings/{site_id}", headers=owner)
        intruder = await other_account_admin(client)
        for path in (
            f"/api/v1/track/settings/x%2F..%2F{site_id}",
            f"/api/v1/track/settings/x%2f%2e%2e%2f{site_id}",
            f"/api/v1/track/settings/{site_id}",
        ):
            answer = await client.put(path, json={"retention_days": 1}, headers=intruder)
            assert answer.status_code == 404, (path, answer.text)
        after = await client.get(f"/api/v1/track/settings/{site_id}", headers=owner)
        assert after.status_code == 200 and after.json() == before.json()


async def test_a_visitor_cannot_reach_the_internal_identify_and_verify_themselves(settings: Settings) -> None:
    async with product(settings) as (_, client):
        guest = await visitor_session(client)
        claim: dict[str, Any] = {"user_id": "ceo", "email": "ceo@shop.example", "verified": True}
        for path in (
            "/api/v1/track/..%2F..%2F..%2Finternal%2Fv1%2Ftrack%2Fidentify",
            "/api/v1/track/%2e%2e%2F%2e%2e%2F%2e%2e%2Finternal%2Fv1%2Ftrack%2Fidentify",
            "/internal/v1/track/identify",
        ):
            answer = await client.post(path, json=claim, headers=bearer(guest["visitor_token"]))
            assert answer.status_code == 404, (path, answer.text)
        staff = bearer((await login(client))["access_token"])
        detail = await client.get(f"/api/v1/visitors/{guest['visitor_id']}", headers=staff)
        assert detail.status_code == 404 or detail.json()["contact"] is None
