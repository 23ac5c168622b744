"""Attachments (CHAT-10) through the gateway and over real sockets: the visitor's image reaches the operator's
socket live, the operator's PDF the visitor's; the edge streams uploads under their own limit (not the JSON
bodies' 1 MB) and refuses a larger one with 413, and a file is served with its sandbox headers."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, free_port, live_server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(1_500_000)  # larger than any JSON body may be
PDF = b"%PDF-1.7\n" + bytes(2000) + b"\n%%EOF\n"


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}", "attachment_max_bytes": 2_000_000})
    bus = MemoryBus() if settings.redis_url is None else None
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            yield base, client


async def test_an_image_and_a_pdf_cross_the_gateway_live_and_are_served_sandboxed(settings: Settings) -> None:
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
            started = await client.post("/api/v1/conversations", json={"text": "Look"}, headers=guest_headers)
            cid = started.json()["id"]
            accepted = await client.post(f"/api/v1/conversations/{cid}/accept", headers=op_headers)
            assert accepted.status_code == 200, accepted.text
            url = f"/api/v1/conversations/{cid}/attachments"
            upload = {**guest_headers, "content-type": "image/png"}
            sent = await client.post(
                url, params={"name": "crack.png", "client_msg_id": "img-1"}, content=PNG, headers=upload
            )
            assert sent.status_code == 201, sent.text
            while (frame := await next_frame(op_ws, "message.created"))["message"]["id"] != sent.json()["id"]:
                pass
            attachment = frame["message"]["attachment"]
            assert attachment["name"] == "crack.png" and attachment["size"] == len(PNG)

            got = await client.get(f"{url}/{attachment['id']}", headers=op_headers)
            assert got.status_code == 200 and got.content == PNG
            assert got.headers["content-type"] == "image/png"
            assert got.headers["content-disposition"].startswith("inline;")
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["content-security-policy"].startswith("sandbox")
            assert (await client.get(f"{url}/{attachment['id']}")).status_code == 401  # no token, no file

            answer = {**op_headers, "content-type": "application/pdf"}
            reply = await client.post(url, params={"name": "label.pdf"}, content=PDF, headers=answer)
            assert reply.status_code == 201, reply.text
            while (frame := await next_frame(v_ws, "message.created"))["message"]["id"] != reply.json()["id"]:
                pass
            pdf = frame["message"]["attachment"]
            got = await client.get(f"{url}/{pdf['id']}", headers=guest_headers)
            assert got.content == PDF and got.headers["content-disposition"].startswith("attachment;")

            too_big = await client.post(url, params={"name": "big.png"}, content=PNG + bytes(600_000), headers=upload)
            assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "attachment_too_large"
