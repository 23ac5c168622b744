"""The gateway alone (no other service), reached in-process, with the demo account and helpers to make
a second account: for the tests of accounts, sessions, the audit log and the site events."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from services.common.bus import EventBus, MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.gateway.demo.seed import DEMO_ADMIN, DEMO_PASSWORD
from tests.helpers import running

ADMIN_KEY = "installation-admin-key-for-tests"
OLGA, IVAN = "olga@demo.example", "ivan@demo.example"


@asynccontextmanager
async def gateway(settings: Settings, bus: EventBus | None = None) -> AsyncIterator[httpx.AsyncClient]:
    settings.admin_api_key = ADMIN_KEY
    if bus is None and settings.redis_url is None:
        bus = MemoryBus()
    app = create_gateway(settings, bus, {})
    async with running(app) as client:
        yield client


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['access_token']}"}


async def login_answer(client: httpx.AsyncClient, email: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def login(client: httpx.AsyncClient, email: str = DEMO_ADMIN, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    answer = await login_answer(client, email, password)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


async def second_account(
    client: httpx.AsyncClient, name: str = "Car dealer", email: str = "boss@dealer.example"
) -> dict[str, Any]:
    """A company made with the installation key; returns its admin's tokens (their first login joins it)."""
    created = await client.post(
        "/api/v1/accounts",
        json={"name": name, "admin_email": email, "admin_password": "long-password", "admin_name": "Boss"},
        headers={"x-admin-key": ADMIN_KEY},
    )
    assert created.status_code == 201, created.text
    tokens = await login(client, email, "long-password")
    assert tokens["user"]["role"] == "admin" and tokens["user"]["account_id"] == created.json()["id"]
    return tokens


async def invite(
    client: httpx.AsyncClient, admin: dict[str, Any], email: str, role: str = "operator", password: str = "a-password"
) -> httpx.Response:
    return await client.post(
        "/api/v1/users",
        json={"email": email, "password": password, "name": "Someone New", "role": role},
        headers=bearer(admin),
    )


async def member_id(client: httpx.AsyncClient, admin: dict[str, Any], email: str) -> str:
    users = (await client.get("/api/v1/users", headers=bearer(admin))).json()["users"]
    found: str = next(u["id"] for u in users if u["email"] == email)
    return found
