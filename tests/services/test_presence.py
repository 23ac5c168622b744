"""Operators' presence (ROUTE-2) through the gateway: status, capacity, load, the supervisors' view, frames,
and a console that drops without a goodbye going offline after the grace period (also with two gateways)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.chat_client import next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, free_port, live_server
from tests.services.gateway_harness import ADMIN_KEY, bearer, login, second_account


def gateway_app(settings: Settings, bus: MemoryBus | None) -> Any:
    return create_gateway(settings, bus, {"chat": create_chat(settings, bus)})


@asynccontextmanager
async def served(settings: Settings, replicas: int = 1, **overrides: Any) -> AsyncIterator[list[str]]:
    """`replicas` gateways (each with its chat in process, all on one database and bus) on real ports."""
    ports = [free_port() for _ in range(replicas)]
    origins = ",".join(f"http://127.0.0.1:{port}" for port in ports)
    bus = MemoryBus() if settings.redis_url is None else None
    async with AsyncExitStack() as stack:
        bases = []
        for index, port in enumerate(ports):
            own = settings.model_copy(
                update={
                    "public_url": f"http://127.0.0.1:{port}",
                    "console_origins": origins,
                    "admin_api_key": ADMIN_KEY,
                    "demo_seed": index == 0,
                    **overrides,
                }
            )
            bases.append(await stack.enter_async_context(live_server(gateway_app(own, bus), own, port)))
        yield bases


def client_of(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=15)


async def status_of(client: httpx.AsyncClient, supervisor: dict[str, Any], user_id: str) -> str | None:
    listed = (await client.get("/api/v1/presence", headers=bearer(supervisor))).json()["operators"]
    return next((p["status"] for p in listed if p["user_id"] == user_id), None)


async def test_operators_set_their_status_and_supervisors_see_everyones_with_capacity_and_load(
    settings: Settings,
) -> None:
    async with served(settings) as [base], client_of(base) as client:
        admin, olga = await login(client), await login(client, "olga@demo.example")
        ivan = await login(client, "ivan@demo.example")
        olga_id, ivan_id = olga["user"]["id"], ivan["user"]["id"]
        async with open_socket(base, "/ws/operator", admin["access_token"]) as board:
            first = await client.get("/api/v1/me/presence", headers=bearer(olga))
            assert first.status_code == 200 and first.json()["status"] == "offline"
            online = await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(olga))
            assert online.status_code == 200 and online.json()["status"] == "online"
            frame = await next_frame(board, "presence.updated")
            assert frame["presence"]["user_id"] == olga_id and frame["presence"]["status"] == "online"

            # A conversation Olga accepted is her load; the account default is her capacity until overridden.
            guest = await visitor_session(client)
            started = await client.post(
                "/api/v1/conversations",
                json={"text": "hi"},
                headers={"authorization": f"Bearer {guest['visitor_token']}"},
            )
            accepted = await client.post(f"/api/v1/conversations/{started.json()['id']}/accept", headers=bearer(olga))
            assert accepted.status_code == 200, accepted.text
            assert (
                await client.put("/api/v1/presence/settings", json={"default_max_chats": 4}, headers=bearer(admin))
            ).status_code == 200
            await client.get("/api/v1/me/presence", headers=bearer(ivan))
            capped = await client.put(
                f"/api/v1/operators/{ivan_id}/capacity", json={"max_chats": 2}, headers=bearer(admin)
            )
            assert capped.status_code == 200 and capped.json()["max_chats"] == 2
            # A telephony integration (a supervisor's token) puts Ivan on a call.
            phone = await client.put(
                f"/api/v1/operators/{ivan_id}/presence", json={"status": "phone"}, headers=bearer(admin)
            )
            assert phone.status_code == 200, phone.text
            while (frame := await next_frame(board, "presence.updated"))["presence"]["status"] != "phone":
                pass
            assert frame["presence"]["user_id"] == ivan_id

            board_view = (await client.get("/api/v1/presence", headers=bearer(admin))).json()
            by_id = {p["user_id"]: p for p in board_view["operators"]}
            assert board_view["default_max_chats"] == 4
            assert (by_id[olga_id]["status"], by_id[olga_id]["max_chats"], by_id[olga_id]["active_chats"]) == (
                "online",
                4,
                1,
            )
            assert (by_id[ivan_id]["status"], by_id[ivan_id]["max_chats"], by_id[ivan_id]["max_chats_override"]) == (
                "phone",
                2,
                2,
            )

            # Operators set only their own, and do not see the board.
            assert (await client.get("/api/v1/presence", headers=bearer(olga))).status_code == 403
            other = await client.put(
                f"/api/v1/operators/{ivan_id}/presence", json={"status": "offline"}, headers=bearer(olga)
            )
            assert other.status_code == 403
            assert await status_of(client, admin, ivan_id) == "phone"


async def test_bad_presence_input_and_other_accounts_get_clear_errors_and_change_nothing(settings: Settings) -> None:
    async with served(settings) as [base], client_of(base) as client:
        admin, olga = await login(client), await login(client, "olga@demo.example")
        olga_id = olga["user"]["id"]
        await client.put("/api/v1/me/presence", json={"status": "away"}, headers=bearer(olga))
        cases = [
            ("/api/v1/me/presence", {"status": "busy"}, olga, "status"),
            (f"/api/v1/operators/{olga_id}/capacity", {"max_chats": 0}, admin, "max_chats"),
            (f"/api/v1/operators/{olga_id}/capacity", {"max_chats": -1}, admin, "max_chats"),
            ("/api/v1/presence/settings", {"default_max_chats": 0}, admin, "default_max_chats"),
        ]
        for url, body, who, field in cases:
            answer = await client.put(url, json=body, headers=bearer(who))
            assert answer.status_code == 422, answer.text
            assert [d["field"] for d in answer.json()["error"]["details"]] == [field]
        boss = await second_account(client)
        for url, body in (
            (f"/api/v1/operators/{olga_id}/presence", {"status": "offline"}),
            (f"/api/v1/operators/{olga_id}/capacity", {"max_chats": 9}),
        ):
            answer = await client.put(url, json=body, headers=bearer(boss))
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "user_not_found"
        assert [
            p["user_id"] for p in (await client.get("/api/v1/presence", headers=bearer(boss))).json()["operators"]
        ] == []
        mine = (await client.get("/api/v1/me/presence", headers=bearer(olga))).json()
        assert (mine["status"], mine["max_chats_override"]) == ("away", None)


async def test_a_console_that_drops_without_goodbye_goes_offline_after_the_grace_period(settings: Settings) -> None:
    grace = {"presence_grace_seconds": 1.5, "presence_heartbeat_seconds": 0.3}
    async with served(settings, **grace) as [base], client_of(base) as client:
        admin, olga = await login(client), await login(client, "olga@demo.example")
        olga_id = olga["user"]["id"]
        async with open_socket(base, "/ws/operator", olga["access_token"]):
            await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(olga))
            await asyncio.sleep(2.5)  # longer than the grace: the open socket's heartbeats keep her online
            assert await status_of(client, admin, olga_id) == "online"
        async with open_socket(base, "/ws/operator", admin["access_token"]) as board:
            frame = await next_frame(board, "presence.updated", within=5)
            assert (frame["presence"]["user_id"], frame["presence"]["status"]) == (olga_id, "offline")
        assert await status_of(client, admin, olga_id) == "offline"


async def test_with_two_gateways_a_console_on_either_keeps_its_operator_and_both_see_the_change(
    settings: Settings,
) -> None:
    if settings.redis_url is None:
        pytest.skip("several gateway processes share PostgreSQL and Redis (the distributed mode)")
    grace = {"presence_grace_seconds": 1.5, "presence_heartbeat_seconds": 0.3}
    async with served(settings, replicas=2, **grace) as [one, two], client_of(one) as client:
        admin, olga = await login(client), await login(client, "olga@demo.example")
        olga_id = olga["user"]["id"]
        async with open_socket(two, "/ws/operator", admin["access_token"]) as board:
            async with open_socket(one, "/ws/operator", olga["access_token"]):
                await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(olga))
                assert (await next_frame(board, "presence.updated"))["presence"]["status"] == "online"
                await asyncio.sleep(2.5)  # both replicas sweep; gateway one's heartbeats keep her online
                async with client_of(two) as other:
                    assert await status_of(other, admin, olga_id) == "online"
            frame = await next_frame(board, "presence.updated", within=5)
            assert (frame["presence"]["user_id"], frame["presence"]["status"]) == (olga_id, "offline")
