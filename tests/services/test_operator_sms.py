"""SMS to an operator when a visitor starts a chat (OPS-5), through the gateway with chat in process, on SQLite +
memory bus and on PostgreSQL + Redis, against a local fake of a Twilio-style Messages API (a real HTTP server that
checks the documented request: POST form-encoded To/From/Body to /Accounts/{sid}/Messages.json with basic auth)."""

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.chat.alerts.new_chat_sms import SMS_SENT
from services.chat.alerts.sms import MessagesApiProvider, provider_from_settings
from services.common.settings import Settings
from tests.helpers import BROWSER_UA, eventually, live_server
from tests.services.gateway_harness import bearer, login, second_account
from tests.services.test_queues import known_operator, stack
from tests.services.test_routing import new_chat

SID, TOKEN, SENDER = "AC0123456789abcdef", "secret-auth-token", "+15005550006"
OLGA_PHONE, IVAN_PHONE, BOSS_PHONE = "+4915112345678", "+4915187654321", "+351912345678"


@dataclass
class FakeProvider:
    """What arrived, and whether it answers as a working provider (201) or a broken one (503)."""

    received: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    down: bool = False


def fake_messages_api(fake: FakeProvider) -> FastAPI:
    app = FastAPI()

    @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
    async def create_message(sid: str, request: Request) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if sid != SID or request.headers.get("authorization") != expected:
            fake.refused.append("auth")
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            fake.refused.append("content-type")
            return JSONResponse({"code": 21000, "message": "form expected"}, status_code=400)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if set(form) != {"To", "From", "Body"}:
            fake.refused.append("fields")
            return JSONResponse({"code": 21604, "message": "To, From and Body"}, status_code=400)
        if fake.down:
            fake.refused.append("down")
            return JSONResponse({"code": 20500, "message": "Internal"}, status_code=503)
        fake.received.append(form)
        return JSONResponse({"sid": f"SM{len(fake.received):032d}", "status": "queued", **form}, status_code=201)

    return app


@asynccontextmanager
async def sms_stack(settings: Settings, fake: FakeProvider) -> AsyncIterator[Any]:
    async with live_server(fake_messages_api(fake)) as provider_url:
        configured = settings.model_copy(
            update={
                "sms_api_url": f"{provider_url}/2010-04-01",
                "sms_account_sid": SID,
                "sms_auth_token": TOKEN,
                "sms_from": SENDER,
                "sms_timeout_seconds": 2.0,
            }
        )
        async with stack(configured) as client:
            client.headers["user-agent"] = BROWSER_UA  # a person's browser, not a robot (robots get no chat)
            yield client


async def opt_in(client: Any, tokens: dict[str, Any], phone: str, online: bool = True) -> None:
    answer = await client.put("/api/v1/me/alerts", json={"sms_enabled": True, "phone": phone}, headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sms_enabled": True, "phone": phone, "sms_available": True}
    status = "online" if online else "offline"
    presence = await client.put("/api/v1/me/presence", json={"status": status}, headers=bearer(tokens))
    assert presence.status_code == 200, presence.text


def sent(outcome: str) -> float:
    return SMS_SENT.labels(outcome)._value.get()


async def test_a_new_chat_texts_the_opted_in_online_operators_of_its_account_only(settings: Settings) -> None:
    fake = FakeProvider()
    async with sms_stack(settings, fake) as client:
        olga, _ = await known_operator(client, "olga@demo.example")
        ivan, _ = await known_operator(client, "ivan@demo.example")
        admin = await login(client)
        boss = await second_account(client)
        assert (await client.get("/api/v1/me/presence", headers=bearer(boss))).status_code == 200
        await opt_in(client, olga, OLGA_PHONE)
        await opt_in(client, ivan, IVAN_PHONE, online=False)  # opted in, but not at work
        await opt_in(client, boss, BOSS_PHONE)  # another company's operator
        online = await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(admin))
        assert online.status_code == 200  # online, but did not opt in
        mine = await client.get("/api/v1/me/alerts", headers=bearer(admin))
        assert mine.json() == {"sms_enabled": False, "phone": None, "sms_available": True}

        await new_chat(client)
        assert await eventually(lambda: len(fake.received) >= 1, 10)
        await asyncio.sleep(0.3)  # no second message follows
        assert fake.received == [
            {
                "To": OLGA_PHONE,
                "From": SENDER,
                "Body": "Floorwalker: a visitor started a chat and is waiting for an answer.",
            }
        ]
        assert fake.refused == []

        # Opting out stops it.
        off = await client.put("/api/v1/me/alerts", json={"sms_enabled": False}, headers=bearer(olga))
        assert off.status_code == 200 and off.json()["sms_enabled"] is False and off.json()["phone"] is None
        await new_chat(client)
        await asyncio.sleep(0.5)
        assert len(fake.received) == 1


async def test_a_provider_that_is_down_is_logged_and_counted_and_the_chat_goes_on(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeProvider(down=True)
    failed_before = sent("failed")
    async with sms_stack(settings, fake) as client:
        olga, _ = await known_operator(client, "olga@demo.example")
        await opt_in(client, olga, OLGA_PHONE)
        with caplog.at_level(logging.WARNING, logger="floorwalker.chat.sms"):
            chat = await new_chat(client)  # 201: the chat does not wait for the provider
            assert await eventually(lambda: sent("failed") > failed_before, 10)
        assert fake.refused == ["down"] * 3  # tried three times (503 may pass), then given up
        assert "sms to operator" in caplog.text and OLGA_PHONE not in caplog.text and TOKEN not in caplog.text
        listed = await client.get(f"/api/v1/conversations/{chat['id']}", headers=bearer(olga))
        assert listed.status_code == 200 and listed.json()["state"] == "waiting"


async def test_alert_settings_refuse_a_number_not_in_e164_form(settings: Settings) -> None:
    async with stack(settings) as client:  # no provider configured: settings are kept, nothing is sent
        olga = await login(client, "olga@demo.example")
        for body in (
            {"sms_enabled": True, "phone": "015112345678"},  # no country code
            {"sms_enabled": True, "phone": "+49 151 1234"},  # spaces
            {"sms_enabled": True, "phone": "+0123456789"},  # no country starts with 0
            {"sms_enabled": True},  # on, but to whom?
            {"sms_enabled": "sometimes", "phone": OLGA_PHONE},
        ):
            answer = await client.put("/api/v1/me/alerts", json=body, headers=bearer(olga))
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["error"]["code"] == "validation_error"
        ok = await client.put(
            "/api/v1/me/alerts", json={"sms_enabled": True, "phone": OLGA_PHONE}, headers=bearer(olga)
        )
        assert ok.json() == {"sms_enabled": True, "phone": OLGA_PHONE, "sms_available": False}
        # Another company's admin reads and writes their own settings, never Olga's.
        boss = await second_account(client)
        theirs = await client.get("/api/v1/me/alerts", headers=bearer(boss))
        assert theirs.json()["phone"] is None
        await client.put("/api/v1/me/alerts", json={"sms_enabled": False, "phone": BOSS_PHONE}, headers=bearer(boss))
        assert (await client.get("/api/v1/me/alerts", headers=bearer(olga))).json()["phone"] == OLGA_PHONE


def test_the_provider_is_off_unless_fully_configured_and_https() -> None:
    base = Settings(sms_account_sid=SID, sms_auth_token=TOKEN, sms_from=SENDER)
    assert provider_from_settings(base) is None  # no URL
    assert provider_from_settings(base.model_copy(update={"sms_api_url": "http://sms.example/2010-04-01"})) is None
    https = provider_from_settings(base.model_copy(update={"sms_api_url": "https://sms.example/2010-04-01/"}))
    assert isinstance(https, MessagesApiProvider)
    assert https.url == f"https://sms.example/2010-04-01/Accounts/{SID}/Messages.json"
