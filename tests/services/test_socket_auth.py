"""Sockets authenticate in their first frame (never the URL), the operator socket needs a console Origin,
and a frame is held to the same input rules as a request body."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.chat_client import authenticate, login, next_frame, open_socket, visitor_session, ws_url
from tests.helpers import BROWSER_UA, free_port, live_server


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    bus = MemoryBus() if settings.redis_url is None else None
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        headers = {"origin": base, "user-agent": BROWSER_UA}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=20) as client:
            yield base, client


def auth(token: str) -> str:
    return json.dumps({"type": "auth", "token": token})


async def refused_with(url: str, origin: str | None, *frames: str) -> tuple[int, str]:
    async with connect(url, origin=origin) as ws:  # type: ignore[arg-type]
        for frame in frames:
            await ws.send(frame)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def error_for(ws: ClientConnection, frame: str) -> dict[str, Any]:
    await ws.send(frame)
    return await next_frame(ws, "error")


async def test_a_socket_authenticates_with_its_first_frame_and_never_with_the_url(settings: Settings) -> None:
    settings.ws_auth_timeout = 0.5
    async with gateway(settings) as (base, client):
        guest = await visitor_session(client)
        operator = await login(client, "olga@demo.example")
        visitor_url, operator_url = ws_url(base, "/ws/visitor"), ws_url(base, "/ws/operator")

        in_url = f"{visitor_url}?token={guest['visitor_token']}"
        assert await refused_with(in_url, base) == (1008, "no auth frame within 0.5 s")
        assert await refused_with(visitor_url, base, json.dumps({"type": "ping"})) == (
            1008,
            'the first frame must be {"type": "auth", "token": ...}',
        )
        assert (await refused_with(visitor_url, base, "not json"))[0] == 1008
        assert (await refused_with(visitor_url, base, auth("forged.token.here")))[0] == 1008
        assert await refused_with(visitor_url, base, auth(operator["access_token"])) == (
            1008,
            "a visitor token is required",
        )
        assert await refused_with(operator_url, base, auth(guest["visitor_token"])) == (
            1008,
            "an operator token is required",
        )

        async with connect(operator_url, origin=base) as ws:  # type: ignore[arg-type]
            ok = await authenticate(ws, operator["access_token"])
            assert ok["expires_at"] > 0
            # auth.refresh still renews the socket's token
            renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": operator["refresh_token"]})
            await ws.send(json.dumps({"type": "auth.refresh", "token": renewed.json()["access_token"]}))
            assert (await next_frame(ws, "auth.ok"))["expires_at"] >= ok["expires_at"]
            await ws.send(json.dumps({"type": "ping"}))
            assert (await next_frame(ws, "pong")) == {"type": "pong"}


async def test_the_first_frame_a_socket_gets_is_auth_ok_and_events_come_only_after_it(settings: Settings) -> None:
    async with gateway(settings) as (base, client):
        operator = await login(client, "olga@demo.example")
        async with connect(ws_url(base, "/ws/operator"), origin=base) as console:  # type: ignore[arg-type]
            guest = await visitor_session(client)
            await client.post(
                "/api/v1/conversations",
                json={"text": "hello?"},
                headers={"authorization": f"Bearer {guest['visitor_token']}"},
            )
            with pytest.raises(TimeoutError):  # not authenticated yet: nothing of the account
                async with asyncio.timeout(0.3):
                    await console.recv()
            await console.send(auth(operator["access_token"]))
            assert json.loads(await console.recv())["type"] == "auth.ok"


async def test_the_operator_socket_needs_a_console_origin(settings: Settings) -> None:
    settings.console_origins = "https://console.example"
    async with gateway(settings) as (base, client):
        token = (await login(client, "olga@demo.example"))["access_token"]
        for origin in (None, "https://evil.example", "null"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(ws_url(base, "/ws/operator"), origin=origin):  # type: ignore[arg-type]
                    pass
            assert refused.value.response.status_code == 403
        for origin in (base, "https://console.example"):
            async with open_socket(base, "/ws/operator", token, origin=origin):
                pass


async def test_frames_follow_the_same_input_rules_as_request_bodies(settings: Settings) -> None:
    async with gateway(settings) as (base, client):
        guest = await visitor_session(client)
        headers = {"authorization": f"Bearer {guest['visitor_token']}"}
        cid = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()["id"]
        async with open_socket(base, "/ws/visitor", guest["visitor_token"]) as ws:
            deep = '{"type": "message.send", "x": ' + "[" * 40 + "]" * 40 + "}"
            too_deep = await error_for(ws, deep)
            assert too_deep["code"] == "invalid_frame" and too_deep["retryable"] is False
            surrogate = '{"type": "message.send", "conversation_id": "%s", "client_msg_id": "s1", "text": "a\\ud800b"}'
            assert (await error_for(ws, surrogate % cid))["code"] == "invalid_frame"
            nul = json.dumps({"type": "message.send", "conversation_id": cid, "client_msg_id": "n1", "text": "a\x00b"})
            assert (await error_for(ws, nul))["code"] == "invalid_frame"
            sneaky = json.dumps(
                {"type": "message.send", "conversation_id": "../../internal", "client_msg_id": "p1", "text": "x"}
            )
            assert (await error_for(ws, sneaky))["code"] == "conversation_not_found"
            huge_seq = json.dumps({"type": "resume", "conversation_id": cid, "after_seq": 10**30})
            assert (await error_for(ws, huge_seq))["code"] == "invalid_frame"
            assert (await error_for(ws, json.dumps({"type": "teleport"})))["code"] == "unknown_frame"
            # none of it stored, and the socket still works
            fine = json.dumps(
                {"type": "message.send", "conversation_id": cid, "client_msg_id": "ok", "text": "a\u00e9b"}
            )
            await ws.send(fine)
            assert (await next_frame(ws, "message.ack"))["message"]["seq"] == 1
        history = await client.get(f"/api/v1/conversations/{cid}/messages", headers=headers)
        assert [m["client_msg_id"] for m in history.json()["messages"]] == ["ok"]
