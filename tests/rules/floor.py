"""The rules service as the product runs it, for the rules API tests: the gateway in front, rules behind it
(in process; SQLite + the memory bus, or PostgreSQL + Redis), driven through the public API: accounts
and sites made by their admins (the rules learn of sites from the gateway's `site.*` events)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.common.tokens import Identity
from services.gateway.app import create_app as create_gateway
from services.rules.app import create_app as create_rules
from tests.helpers import as_identity, eventually

ADMIN_KEY = "rules-tests-admin-key-0123456789"
PASSWORD = "correct-horse-battery"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@dataclass
class Account:
    id: str
    admin: dict[str, str]  # an admin's headers
    site_id: str
    staff: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> headers


@dataclass
class Floor:
    settings: Settings
    gateway: FastAPI
    rules: FastAPI
    client: httpx.AsyncClient  # speaks to the gateway

    async def account(self, name: str = "Shop") -> Account:
        """A company with its admin and one site the rules know."""
        email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
        body = {"name": name, "admin_email": email, "admin_password": PASSWORD, "admin_name": "Ada"}
        made = await self.client.post("/api/v1/accounts", json=body, headers={"x-admin-key": ADMIN_KEY})
        assert made.status_code == 201, made.text
        admin = await self.login(email)
        return Account(made.json()["id"], admin, await self.site(admin))

    async def login(self, email: str) -> dict[str, str]:
        answer = await self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return bearer(answer.json()["access_token"])

    async def site(self, admin: dict[str, str]) -> str:
        """A new site of the admin's account, once the rules have heard of it (`site.created`)."""
        body = {"name": "Shop", "domains": ["shop.example"], "allowed_origins": ["https://shop.example"]}
        made = await self.client.post("/api/v1/sites", json=body, headers=admin)
        assert made.status_code == 201, made.text
        site_id: str = made.json()["id"]

        async def known() -> bool:
            return (await self.client.get(f"/api/v1/sites/{site_id}/rules", headers=admin)).status_code == 200

        assert await eventually(known), "the rules never heard of the new site"
        return site_id

    async def staff(self, account: Account, role: str) -> dict[str, str]:
        """Headers of a user of the account with this role (made on first use)."""
        if role not in account.staff:
            email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
            body = {"email": email, "password": PASSWORD, "name": role.title(), "role": role}
            made = await self.client.post("/api/v1/users", json=body, headers=account.admin)
            assert made.status_code == 201, made.text
            account.staff[role] = await self.login(email)
        return account.staff[role]

    async def direct(self, identity: Identity, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request to the rules service itself, as if the gateway had been bypassed."""
        transport = httpx.ASGITransport(app=self.rules)
        async with httpx.AsyncClient(transport=transport, base_url="http://rules") as client:
            return await client.request(method, path, headers=as_identity(self.settings, identity), **kwargs)


@asynccontextmanager
async def floor(settings: Settings) -> AsyncIterator[Floor]:
    """The gateway and the rules service, started; stopped at the end."""
    settings = settings.model_copy(update={"admin_api_key": ADMIN_KEY, "demo_seed": False})
    bus = MemoryBus() if settings.redis_url is None else None
    rules = create_rules(settings, bus)
    gateway = create_gateway(settings, bus, {"rules": rules})
    async with gateway.router.lifespan_context(gateway):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url, timeout=15) as client:
            yield Floor(settings, gateway, rules, client)
