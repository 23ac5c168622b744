"""A queue's external routing webhook (ROUTE-3): asked with a signed request which operator gets a new chat;
a router that hangs, fails or answers garbage means least busy. The router is a local fake HTTP server."""

import asyncio
import hashlib
import hmac
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.chat.routing import webhook
from services.common.settings import Settings
from tests.helpers import live_server
from tests.services.gateway_harness import bearer
from tests.services.test_routing import new_chat, operator, stack

SECRET = "a-router-secret-of-some-length"
PORT = 8851


class FakeRouter:
    def __init__(self) -> None:
        self.mode = "pick"
        self.pick: str | None = None
        self.seen: list[dict[str, Any]] = []

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers["x-floorwalker-timestamp"]
        expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        self.seen.append(
            {"valid": hmac.compare_digest(expected, request.headers["x-floorwalker-signature"]), **json.loads(body)}
        )
        if self.mode == "hang":
            await asyncio.sleep(3)
        if self.mode == "garbage":
            return PlainTextResponse("<html>oops</html>")
        if self.mode == "stranger":
            return JSONResponse({"user_id": "00000000-0000-4000-8000-000000000000"})
        if self.mode == "error":
            return JSONResponse({"user_id": self.pick}, status_code=500)
        return JSONResponse({"user_id": self.pick})


async def test_the_router_picks_the_operator_and_any_failure_falls_back_to_least_busy(settings: Settings) -> None:
    router = FakeRouter()
    app = Starlette(routes=[Route("/route", router.handle, methods=["POST"])])
    async with (
        live_server(app, port=PORT) as url,
        stack(settings, routing_webhook_timeout_seconds=0.5, routing_webhook_private_addresses=True) as s,
    ):
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        _, ivan_id = await operator(client, "ivan@demo.example")
        members = [{"user_id": olga_id, "priority": 0}, {"user_id": ivan_id, "priority": 1}]
        body = {"name": "Routed", "strategy": "external_webhook", "members": members}
        missing = await client.post("/api/v1/queues", json=body, headers=bearer(s.admin))
        assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "webhook_url"
        made = await client.post(
            "/api/v1/queues",
            json={**body, "webhook_url": f"{url}/route", "webhook_secret": SECRET},
            headers=bearer(s.admin),
        )
        assert made.status_code == 201, made.text
        assert made.json()["webhook_secret_set"] is True and "webhook_secret" not in made.json()
        queue_id = made.json()["id"]

        # Ivan is busier (one offer), yet the router names him: he gets it.
        first = await new_chat(client, queue_id)
        router.pick = ivan_id if first["offered_user_id"] == olga_id else olga_id
        named = await new_chat(client, queue_id)
        assert named["offered_user_id"] == router.pick
        asked = router.seen[-1]
        assert asked["valid"] and asked["conversation_id"] == named["id"] and asked["queue_id"] == queue_id
        assert {c["user_id"] for c in asked["candidates"]} == {olga_id, ivan_id}

        # Close both: equal load again; each failure gives the least busy, never a 500 nor a stuck chat.
        for chat in (first, named):
            assert (
                await client.post(f"/api/v1/conversations/{chat['id']}/close", headers=bearer(s.admin))
            ).status_code == 200
        for mode in ("hang", "garbage", "stranger", "error"):
            router.mode = mode
            chat = await new_chat(client, queue_id)
            assert chat["offered_user_id"] is not None, mode
            other = await new_chat(client, queue_id)  # the least busy is now the other operator
            assert {chat["offered_user_id"], other["offered_user_id"]} == {olga_id, ivan_id}, mode
            for done in (chat, other):
                await client.post(f"/api/v1/conversations/{done['id']}/close", headers=bearer(olga))
        assert all(seen["valid"] for seen in router.seen)


async def test_a_router_on_a_private_address_is_not_asked_unless_allowed() -> None:
    """A supervisor's URL must not make the server call its own network (SSRF): least busy instead."""
    router = FakeRouter()
    app = Starlette(routes=[Route("/route", router.handle, methods=["POST"])])
    payload = {"conversation_id": "c", "queue_id": "q", "visitor_id": "v", "site_id": "s", "candidates": []}
    payload["candidates"] = [{"user_id": "u-1", "load": 0, "max_chats": 3, "priority": 0}]
    router.pick = "u-1"
    async with live_server(app, port=PORT + 1) as url:
        for address in (f"{url}/route", f"http://localhost:{PORT + 1}/route"):
            assert await webhook.ask(address, SECRET, payload, 1.0) is None
        assert router.seen == []
        assert await webhook.ask(f"{url}/route", SECRET, payload, 1.0, private_addresses=True) == "u-1"
    for address in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.1/route", "http://[::1]/route"):
        assert not await webhook.reaches_only_public_addresses(address)
    assert not await webhook.reaches_only_public_addresses("http://no-such-host.invalid/route")
