"""A small client of the public API and sockets, shared by the gateway, stack and embedded tests."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from services.gateway.demo.seed import DEMO_ADMIN, DEMO_PASSWORD
from tests.helpers import BROWSER_UA, eventually

SITE_KEY = "demo-shop"


async def login(client: httpx.AsyncClient, email: str = DEMO_ADMIN) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def visitor_session(client: httpx.AsyncClient, token: str | None = None) -> dict[str, Any]:
    response = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY, "visitor_token": token})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ws_url(base: str, path: str) -> str:
    """A socket's URL: never a token in it (the first frame carries it: `authenticate`)."""
    return base.replace("http://", "ws://") + path


async def authenticate(ws: ClientConnection, token: str) -> dict[str, Any]:
    """Send the `auth` frame a socket must start with; returns the server's `auth.ok`."""
    await ws.send(json.dumps({"type": "auth", "token": token}))
    return await next_frame(ws, "auth.ok")


@asynccontextmanager
async def open_socket(
    base: str, path: str, token: str, origin: str | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """A socket of `path` authenticated with `token` (Origin: `origin`, by default the gateway's own)."""
    async with connect(ws_url(base, path), origin=origin or base, **options) as ws:  # type: ignore[arg-type]
        await authenticate(ws, token)
        yield ws


async def next_frame(ws: ClientConnection, kind: str, within: float = 5.0) -> dict[str, Any]:
    """The next frame of a kind, skipping others."""
    async with asyncio.timeout(within):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def chat_scenario(base: str, restart_chat: Callable[[], Awaitable[None]] | None = None) -> None:
    """Visitor socket -> operator socket -> visitor socket, with a reconnect that resumes by sequence.

    With `restart_chat`, the chat service is restarted mid-conversation: nothing is lost or doubled.
    """
    async with httpx.AsyncClient(
        base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=15
    ) as client:
        operator = await login(client, "olga@demo.example")
        op_headers = {"authorization": f"Bearer {operator['access_token']}"}
        guest = await visitor_session(client)
        guest_headers = {"authorization": f"Bearer {guest['visitor_token']}"}
        pageview = {"events": [{"type": "pageview", "url": f"{base}/demo/informatica/", "title": "Informática"}]}
        assert (await client.post("/api/v1/track/events", json=pageview, headers=guest_headers)).status_code == 202
        async with (
            open_socket(base, "/ws/operator", operator["access_token"]) as op_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
        ):
            await asyncio.sleep(0.3)
            conversation = (await client.post("/api/v1/conversations", json={}, headers=guest_headers)).json()
            cid = conversation["id"]
            await v_ws.send(
                json.dumps({"type": "message.send", "conversation_id": cid, "client_msg_id": "v1", "text": "Hello?"})
            )
            assert (await next_frame(v_ws, "message.ack"))["message"]["seq"] == 1
            seen = await next_frame(op_ws, "message.created")
            assert seen["message"]["text"] == "Hello?" and seen["message"]["sender_type"] == "visitor"
            accepted = await client.post(f"/api/v1/conversations/{cid}/accept", headers=op_headers)
            assert accepted.status_code == 200, accepted.text
            await op_ws.send(
                json.dumps(
                    {"type": "message.send", "conversation_id": cid, "client_msg_id": "o1", "text": "Hi! Olga here."}
                )
            )
            reply = await next_frame(v_ws, "message.created", within=10)
            while reply["message"]["sender_type"] != "operator":
                reply = await next_frame(v_ws, "message.created", within=10)
            assert reply["message"]["text"] == "Hi! Olga here." and reply["message"]["seq"] == 2

        async def on_the_live_list() -> bool:
            # Stored behind the 202 by tracking, which may be running at a lower priority (TRACKING_NICE) on a
            # busy machine: the live list lags then, by design.
            live = await client.get("/api/v1/visitors/live", headers=op_headers)
            return guest["visitor_id"] in [v["visitor_id"] for v in live.json()["visitors"]]

        assert await eventually(on_the_live_list, 30), "the visitor never reached the live list"

        if restart_chat is not None:
            await restart_chat()
        async with open_socket(base, "/ws/operator", operator["access_token"]) as op_ws:
            for n in (3, 4, 5):
                frame = {
                    "type": "message.send",
                    "conversation_id": cid,
                    "client_msg_id": f"o{n}",
                    "text": f"update {n}",
                }
                await op_ws.send(json.dumps(frame))
                assert (await next_frame(op_ws, "message.ack", within=10))["message"]["seq"] == n
            await op_ws.send(json.dumps({**frame, "client_msg_id": "o5"}))  # a retry after a lost ack
            assert (await next_frame(op_ws, "message.ack"))["message"]["seq"] == 5
        async with open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws:
            await v_ws.send(json.dumps({"type": "resume", "conversation_id": cid, "after_seq": 2}))
            missed = [(await next_frame(v_ws, "message.created"))["message"]["text"] for _ in range(3)]
            assert missed == ["update 3", "update 4", "update 5"]
            assert (await next_frame(v_ws, "resume.done"))["last_seq"] == 5
        history = await client.get(f"/api/v1/conversations/{cid}/messages", headers=op_headers)
        assert [m["seq"] for m in history.json()["messages"]] == [1, 2, 3, 4, 5]
