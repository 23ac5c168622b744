"""The gateway in front of the chat service: login, widget sessions, proxying and both sockets."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.gateway.demo.seed import DEMO_ADMIN
from tests.chat_client import SITE_KEY, login, next_frame, open_socket, visitor_session, ws_url
from tests.helpers import BROWSER_UA, free_port, live_server


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    bus = MemoryBus() if settings.redis_url is None else None
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            yield base, client


async def test_login_refresh_rotation_and_wrong_password(settings: Settings) -> None:
    async with gateway(settings) as (_, client):
        tokens = await login(client)
        assert tokens["user"]["role"] == "admin" and tokens["accounts"][0]["name"] == "Demo Shop"
        me = await client.get("/api/v1/auth/me", headers={"authorization": f"Bearer {tokens['access_token']}"})
        assert me.json()["email"] == DEMO_ADMIN
        renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert renewed.status_code == 200
        reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert reused.status_code == 401 and reused.json()["error"]["code"] == "invalid_refresh_token"
        wrong = await client.post("/api/v1/auth/login", json={"email": DEMO_ADMIN, "password": "nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
        forged = await client.get("/api/v1/conversations", headers={"authorization": "Bearer forged.token.here"})
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "invalid_token"
        smuggled = await client.get("/api/v1/conversations", headers={"x-fw-identity": "anything"})
        assert smuggled.status_code == 401


async def test_widget_session_checks_origin_and_keeps_the_visitor(settings: Settings) -> None:
    async with gateway(settings) as (_, client):
        first = await visitor_session(client)
        again = await visitor_session(client, first["visitor_token"])
        assert again["visitor_id"] == first["visitor_id"]
        assert first["site"]["widget"]["title"]
        foreign = await client.post(
            "/api/v1/widget/session", json={"site_key": SITE_KEY}, headers={"origin": "https://evil.example"}
        )
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "origin_not_allowed"
        unknown = await client.post("/api/v1/widget/session", json={"site_key": "no-such-site"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_site"
        tampered = await visitor_session(client, first["visitor_token"][:-3] + "abc")
        assert tampered["visitor_id"] != first["visitor_id"]


async def test_chat_between_visitor_and_operator_sockets_with_resume(settings: Settings) -> None:
    async with gateway(settings) as (base, client):
        operator = await login(client, "olga@demo.example")
        op_headers = {"authorization": f"Bearer {operator['access_token']}"}
        guest = await visitor_session(client)
        guest_headers = {"authorization": f"Bearer {guest['visitor_token']}"}
        async with (
            open_socket(base, "/ws/operator", operator["access_token"]) as op_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
        ):
            await asyncio.sleep(0.2)
            started = await client.post(
                "/api/v1/conversations", json={"text": "Do you ship to Recife?"}, headers=guest_headers
            )
            conversation = started.json()
            assert (await next_frame(op_ws, "conversation.updated"))["conversation"]["state"] == "waiting"
            assert (await next_frame(op_ws, "message.created"))["message"]["text"] == "Do you ship to Recife?"
            accept = await client.post(f"/api/v1/conversations/{conversation['id']}/accept", headers=op_headers)
            assert accept.json()["assigned_user_name"] == "Olga Souza"
            assert (await next_frame(v_ws, "conversation.updated"))["conversation"]["state"] == "waiting"
            assert (await next_frame(v_ws, "message.created"))["message"]["seq"] == 1
            assert (await next_frame(v_ws, "conversation.updated"))["conversation"]["state"] == "active"

            send = {
                "type": "message.send",
                "conversation_id": conversation["id"],
                "client_msg_id": "op-1",
                "text": "Yes, we do!",
            }
            await op_ws.send(json.dumps(send))
            ack = await next_frame(op_ws, "message.ack")
            assert ack["message"]["seq"] == 2
            await op_ws.send(json.dumps(send))  # a retry of the same message
            assert (await next_frame(op_ws, "message.ack"))["message"]["id"] == ack["message"]["id"]
            assert (await next_frame(v_ws, "message.created"))["message"]["text"] == "Yes, we do!"

        # The visitor is away while the operator writes twice; on reconnect it resumes after seq 2.
        async with open_socket(base, "/ws/operator", operator["access_token"]) as op_ws:
            for i in (3, 4):
                frame = {
                    "type": "message.send",
                    "conversation_id": conversation["id"],
                    "client_msg_id": f"op-{i}",
                    "text": f"m{i}",
                }
                await op_ws.send(json.dumps(frame))
                await next_frame(op_ws, "message.ack")
        async with open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws:
            await v_ws.send(json.dumps({"type": "resume", "conversation_id": conversation["id"], "after_seq": 2}))
            missed = [await next_frame(v_ws, "message.created") for _ in range(2)]
            assert [m["message"]["text"] for m in missed] == ["m3", "m4"]
            assert (await next_frame(v_ws, "resume.done"))["last_seq"] == 4


async def closed_with(url: str, origin: str | None, *frames: str) -> tuple[int, str]:
    """The close code and reason the server answers these frames with."""
    async with connect(url, origin=origin, max_size=None) as ws:  # type: ignore[arg-type]
        for frame in frames:
            await ws.send(frame)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def auth(token: str) -> str:
    return json.dumps({"type": "auth", "token": token})


async def test_sockets_refuse_bad_origins_tokens_and_huge_frames(settings: Settings) -> None:
    settings.access_token_ttl = 2
    async with gateway(settings) as (base, client):
        guest = await visitor_session(client)
        visitor_url = ws_url(base, "/ws/visitor")
        assert await closed_with(visitor_url, "https://evil.example", auth(guest["visitor_token"])) == (
            1008,
            "origin not allowed for this site",
        )
        assert (await closed_with(visitor_url, base, auth("garbage")))[0] == 1008
        assert (await closed_with(visitor_url, base, "x" * 70_000))[0] == 1009
        operator = await login(client, "olga@demo.example")
        assert await closed_with(ws_url(base, "/ws/operator"), base, auth(operator["access_token"])) == (
            1008,
            "token expired",
        )
        async with open_socket(base, "/ws/visitor", guest["visitor_token"]) as ws:
            await ws.send("{not json")
            assert (await next_frame(ws, "error"))["code"] == "malformed_frame"
            await ws.send(
                json.dumps({"type": "message.send", "conversation_id": "nope", "client_msg_id": "1", "text": "hi"})
            )
            assert (await next_frame(ws, "error"))["code"] == "conversation_not_found"


async def test_admin_creates_an_account_operators_and_a_site_isolated_from_others(settings: Settings) -> None:
    settings.admin_api_key = "installation-admin-key"
    async with gateway(settings) as (base, client):
        refused = await client.post(
            "/api/v1/accounts",
            json={
                "name": "Car dealer",
                "admin_email": "boss@dealer.example",
                "admin_password": "long-password",
                "admin_name": "Boss",
            },
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_key_required"
        created = await client.post(
            "/api/v1/accounts",
            json={
                "name": "Car dealer",
                "admin_email": "boss@dealer.example",
                "admin_password": "long-password",
                "admin_name": "Boss",
            },
            headers={"x-admin-key": "installation-admin-key"},
        )
        assert created.status_code == 201, created.text
        boss = (
            await client.post("/api/v1/auth/login", json={"email": "boss@dealer.example", "password": "long-password"})
        ).json()
        headers = {"authorization": f"Bearer {boss['access_token']}"}
        user = await client.post(
            "/api/v1/users",
            json={"email": "desk@dealer.example", "password": "desk-password", "name": "Desk", "role": "operator"},
            headers=headers,
        )
        assert user.status_code == 201 and user.json()["role"] == "operator"
        site = await client.post(
            "/api/v1/sites",
            json={"name": "Service desk", "allowed_origins": ["https://dealer.example"]},
            headers=headers,
        )
        assert site.status_code == 201
        assert (
            site.json()["embed_snippet"]
            == f'<script src="{base}/widget.js" data-site="{site.json()["site_key"]}" async></script>'
        )
        bad_origin = await client.post(
            "/api/v1/sites", json={"name": "x", "allowed_origins": ["not a url"]}, headers=headers
        )
        assert bad_origin.status_code == 422
        desk = (
            await client.post("/api/v1/auth/login", json={"email": "desk@dealer.example", "password": "desk-password"})
        ).json()
        forbidden = await client.post(
            "/api/v1/users",
            json={"email": "x@dealer.example", "password": "long-password", "name": "X"},
            headers={"authorization": f"Bearer {desk['access_token']}"},
        )
        assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "insufficient_role"
        demo_admin = await login(client)
        demo_sites = await client.get(
            "/api/v1/sites", headers={"authorization": f"Bearer {demo_admin['access_token']}"}
        )
        assert [s["site_key"] for s in demo_sites.json()["sites"]] == [SITE_KEY]


async def test_one_openapi_document_covers_the_gateway_and_the_services(settings: Settings) -> None:
    async with gateway(settings) as (_, client):
        doc = (await client.get("/api/openapi.json")).json()
        assert {
            "/api/v1/auth/login",
            "/api/v1/widget/session",
            "/api/v1/conversations/{conversation_id}/messages",
        } <= set(doc["paths"])
        assert "MessageOut" in doc["components"]["schemas"]
