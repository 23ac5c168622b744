"""Departments (ROUTE-1) through the gateway, on SQLite + memory bus and on PostgreSQL + Redis."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.services.gateway_harness import ADMIN_KEY, bearer, invite, login, second_account

BASE = "http://127.0.0.1:8000"
BERLIN = {"time_zone": "Europe/Berlin", "weekly": {"mon": [{"start": "09:00", "end": "17:00"}]}, "holidays": []}


@asynccontextmanager
async def stack(settings: Settings, clock: datetime | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with chat in process (chat's clock fixed at `clock` when given)."""
    settings = settings.model_copy(update={"public_url": BASE, "admin_api_key": ADMIN_KEY})
    bus = MemoryBus() if settings.redis_url is None else None
    chat = create_chat(settings, bus)
    if clock is not None:
        chat.state.clock = lambda: clock
    app = create_gateway(settings, bus, {"chat": chat})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers={"origin": BASE}) as client:
            yield client


async def known_operator(client: httpx.AsyncClient, email: str) -> tuple[dict[str, Any], str]:
    """An operator whose console has reported to chat (`GET /me/presence`): their tokens and id."""
    tokens = await login(client, email)
    assert (await client.get("/api/v1/me/presence", headers=bearer(tokens))).status_code == 200
    return tokens, tokens["user"]["id"]


def queue(name: str = "Sales", **fields: Any) -> dict[str, Any]:
    return {"name": name, "welcome_message": f"Welcome to {name}", **fields}


async def test_a_supervisor_builds_departments_with_shared_operators_and_operators_read_them(
    settings: Settings,
) -> None:
    async with stack(settings, clock=datetime(2026, 7, 6, 8, 0, tzinfo=UTC)) as client:  # Monday 10:00 in Berlin
        admin = await login(client)
        olga, olga_id = await known_operator(client, "olga@demo.example")
        ivan, ivan_id = await known_operator(client, "ivan@demo.example")
        assert (await invite(client, admin, "sue@demo.example", role="supervisor")).status_code == 201
        sue = await login(client, "sue@demo.example", "a-password")
        sales = await client.post(
            "/api/v1/queues",
            json=queue(
                hours=BERLIN,
                priority=1,
                strategy="round_robin",
                max_wait_seconds=30,
                sections=["/shop/tv", "checkout"],
                members=[{"user_id": olga_id, "priority": 0}, {"user_id": ivan_id, "priority": 5}],
            ),
            headers=bearer(sue),
        )
        assert sales.status_code == 201, sales.text
        support = await client.post(
            "/api/v1/queues",
            json=queue("Support", failover_queue_id=sales.json()["id"], members=[{"user_id": olga_id, "priority": 2}]),
            headers=bearer(admin),
        )
        assert support.status_code == 201, support.text

        listed = (await client.get("/api/v1/queues", headers=bearer(olga))).json()["queues"]
        assert [q["name"] for q in listed] == ["Support", "Sales"]  # queue priority 0 before 1
        got = {q["name"]: q for q in listed}
        assert got["Sales"]["open_now"] is True and got["Support"]["open_now"] is True
        assert got["Sales"]["members"] == [{"user_id": olga_id, "priority": 0}, {"user_id": ivan_id, "priority": 5}]
        assert got["Sales"]["sections"] == ["/shop/tv", "checkout"] and got["Sales"]["strategy"] == "round_robin"
        assert got["Support"]["failover_queue_id"] == sales.json()["id"]

        # Operators read, never write.
        refused = await client.post("/api/v1/queues", json=queue("Mine"), headers=bearer(ivan))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
        sales_url = f"/api/v1/queues/{sales.json()['id']}"
        assert (await client.delete(sales_url, headers=bearer(ivan))).status_code == 403

        # Replaced whole; deleting Sales leaves Support without failover.
        replaced = await client.put(sales_url, json=queue("Sales", members=[]), headers=bearer(sue))
        assert replaced.status_code == 200 and replaced.json()["members"] == [] and replaced.json()["hours"] is None
        assert (await client.delete(sales_url, headers=bearer(sue))).status_code == 204
        assert (await client.get(sales_url, headers=bearer(olga))).status_code == 404
        after = (await client.get(f"/api/v1/queues/{support.json()['id']}", headers=bearer(olga))).json()
        assert after["failover_queue_id"] is None


async def test_open_now_follows_the_queues_hours_and_the_injected_clock(settings: Settings) -> None:
    evening = datetime(2026, 1, 5, 16, 30, tzinfo=UTC)  # Monday 17:30 in Berlin: closed
    async with stack(settings, clock=evening) as client:
        admin = await login(client)
        made = await client.post("/api/v1/queues", json=queue(hours=BERLIN), headers=bearer(admin))
        assert made.status_code == 201 and made.json()["open_now"] is False


async def test_members_must_be_operators_of_the_account_and_nothing_changes_otherwise(settings: Settings) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        _, olga_id = await known_operator(client, "olga@demo.example")
        boss = await second_account(client)
        assert (await client.get("/api/v1/me/presence", headers=bearer(boss))).status_code == 200
        made = await client.post("/api/v1/queues", json=queue(members=[{"user_id": olga_id}]), headers=bearer(admin))
        url = f"/api/v1/queues/{made.json()['id']}"
        foreign = queue(members=[{"user_id": olga_id}, {"user_id": boss["user"]["id"]}])
        answer = await client.put(url, json=foreign, headers=bearer(admin))
        assert answer.status_code == 422
        assert answer.json()["error"]["details"][0]["field"] == "members.1.user_id"
        twice = await client.put(
            url, json=queue(members=[{"user_id": olga_id}, {"user_id": olga_id}]), headers=bearer(admin)
        )
        assert twice.status_code == 422 and twice.json()["error"]["details"][0]["type"] == "duplicate_member"
        created = await client.post(
            "/api/v1/queues", json=queue("Other", members=[{"user_id": boss["user"]["id"]}]), headers=bearer(admin)
        )
        assert created.status_code == 422
        queues = (await client.get("/api/v1/queues", headers=bearer(admin))).json()["queues"]
        assert [(q["name"], [m["user_id"] for m in q["members"]]) for q in queues] == [("Sales", [olga_id])]


async def test_failover_must_be_another_queue_of_the_account_without_a_cycle(settings: Settings) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        boss = await second_account(client)
        theirs = (await client.post("/api/v1/queues", json=queue("Theirs"), headers=bearer(boss))).json()
        a = (await client.post("/api/v1/queues", json=queue("A"), headers=bearer(admin))).json()
        b = (
            await client.post("/api/v1/queues", json=queue("B", failover_queue_id=a["id"]), headers=bearer(admin))
        ).json()
        c = (
            await client.post("/api/v1/queues", json=queue("C", failover_queue_id=b["id"]), headers=bearer(admin))
        ).json()
        cases = [
            (a["id"], c["id"], "failover_cycle"),  # A -> C -> B -> A
            (a["id"], a["id"], "failover_self"),
            (a["id"], theirs["id"], "unknown_queue"),  # another account's queue
        ]
        for queue_id, failover, kind in cases:
            answer = await client.put(
                f"/api/v1/queues/{queue_id}", json=queue("A", failover_queue_id=failover), headers=bearer(admin)
            )
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["details"] == [
                {"field": "failover_queue_id", "message": answer.json()["error"]["details"][0]["message"], "type": kind}
            ]
        still = (await client.get(f"/api/v1/queues/{a['id']}", headers=bearer(admin))).json()
        assert still["failover_queue_id"] is None
        duplicate = await client.post("/api/v1/queues", json=queue("B"), headers=bearer(admin))
        assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "queue_name_taken"


async def test_bad_queue_input_is_422_with_the_errors_path(settings: Settings) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        overlapping = {
            **BERLIN,
            "weekly": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
        }
        cases = [
            (queue(hours=overlapping), "hours.weekly.mon"),
            (queue(hours={**BERLIN, "weekly": {"tue": [{"start": "18:00", "end": "08:00"}]}}), "hours.weekly.tue.0"),
            (queue(hours={**BERLIN, "time_zone": "Nowhere/City"}), "hours.time_zone"),
            (queue(hours={**BERLIN, "holidays": ["2026-02-30"]}), "hours.holidays.0"),
            (queue(strategy="random"), "strategy"),
            (queue(max_wait_seconds=0), "max_wait_seconds"),
            (queue(name=""), "name"),
        ]
        for body, field in cases:
            answer = await client.post("/api/v1/queues", json=body, headers=bearer(admin))
            assert answer.status_code == 422, (field, answer.text)
            assert [d["field"] for d in answer.json()["error"]["details"]] == [field]
        assert (await client.get("/api/v1/queues", headers=bearer(admin))).json()["queues"] == []
        assert (await client.get("/api/v1/queues/not-a-uuid", headers=bearer(admin))).status_code == 404
