"""The tracking service as the product runs it, for the tracking tests: the gateway in front, tracking
behind it (in process; both on SQLite + the memory bus, or PostgreSQL + Redis), driven through the public
API: accounts and sites made by their admins, visitors with widget sessions, page views through the
gateway's `POST /api/v1/track/events` -> `track.batch` -> tracking's consumer."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.common.tokens import Identity, visitor_token
from services.gateway.app import create_app as create_gateway
from services.tracking.app import create_app as create_tracking
from services.tracking.tracker import Tracker
from tests.helpers import as_identity, eventually

ADMIN_KEY = "tracking-tests-admin-key-0123456789"
ORIGIN = "https://shop.example"
PASSWORD = "correct-horse-battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def dropped(reason: str) -> float:
    """Events tracking dropped after the gateway's 202, for one reason, so far in this process."""
    return REGISTRY.get_sample_value("fw_tracking_events_dropped_total", {"reason": reason}) or 0.0


@dataclass
class Guest:
    """A visitor of a site, with the token the widget session gave them."""

    visitor_id: str
    token: str
    site_id: str
    account_id: str
    ip: str | None = None
    user_agent: str = FIREFOX

    @property
    def identity(self) -> Identity:
        return Identity(kind="visitor", account_id=self.account_id, site_id=self.site_id, visitor_id=self.visitor_id)


@dataclass
class Account:
    id: str
    admin: dict[str, str]  # an admin's headers
    site_id: str
    site_key: str
    site_secret: str
    staff: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> headers


@dataclass
class Floor:
    settings: Settings
    gateway: FastAPI
    tracking: FastAPI
    client: httpx.AsyncClient  # speaks to the gateway

    @property
    def tracker(self) -> Tracker:
        return self.tracking.state.tracking.tracker

    @property
    def distributed(self) -> bool:
        return self.settings.redis_url is not None

    async def account(self, name: str = "Shop") -> Account:
        """A company (made with the installation's admin key) with its admin and one site tracking knows."""
        email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
        body = {"name": name, "admin_email": email, "admin_password": PASSWORD, "admin_name": "Ada"}
        made = await self.client.post("/api/v1/accounts", json=body, headers={"x-admin-key": ADMIN_KEY})
        assert made.status_code == 201, made.text
        admin = await self.login(email)
        site = await self.site(admin)
        return Account(made.json()["id"], admin, site["id"], site["site_key"], site["secret"])

    async def login(self, email: str) -> dict[str, str]:
        answer = await self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return bearer(answer.json()["access_token"])

    async def site(self, admin: dict[str, str], origin: str = ORIGIN) -> dict[str, Any]:
        """A new site of the admin's account, once tracking has heard of it (`site.created`)."""
        made = await self.client.post(
            "/api/v1/sites",
            json={"name": "Shop", "domains": ["shop.example"], "allowed_origins": [origin]},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        site: dict[str, Any] = made.json()

        async def known() -> bool:
            return (await self.client.get(f"/api/v1/track/settings/{site['id']}", headers=admin)).status_code == 200

        assert await eventually(known), "tracking never heard of the new site"
        return site

    async def staff(self, account: Account, role: str = "operator") -> dict[str, str]:
        """Headers of a user of the account with this role (made on first use)."""
        if role not in account.staff:
            email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
            body = {"email": email, "password": PASSWORD, "name": role.title(), "role": role}
            made = await self.client.post("/api/v1/users", json=body, headers=account.admin)
            assert made.status_code == 201, made.text
            account.staff[role] = await self.login(email)
        return account.staff[role]

    async def visitor(
        self, account: Account, ip: str | None = None, user_agent: str = FIREFOX, site_key: str | None = None
    ) -> Guest:
        answer = await self.client.post(
            "/api/v1/widget/session",
            json={"site_key": site_key or account.site_key},
            headers={"origin": ORIGIN, "user-agent": user_agent},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        site_id = body["site"]["id"]
        return Guest(body["visitor_id"], body["visitor_token"], site_id, account.id, ip, user_agent)

    def forged(self, guest: Guest, account_id: str, site_id: str) -> Guest:
        """A token naming `guest`'s visitor id for another site (what only a thief of the signing secret
        could make): the edge admits it, tracking must not write it into `guest`'s visitor."""
        identity = Identity(kind="visitor", account_id=account_id, site_id=site_id, visitor_id=guest.visitor_id)
        return Guest(guest.visitor_id, visitor_token(identity, self.settings.jwt_secret, 600), site_id, account_id)

    async def track(self, guest: Guest, *events: dict[str, Any]) -> httpx.Response:
        headers = {**bearer(guest.token), "origin": ORIGIN, "user-agent": guest.user_agent}
        if guest.ip:
            headers["x-forwarded-for"] = guest.ip
        return await self.client.post("/api/v1/track/events", json={"events": list(events)}, headers=headers)

    async def live(self, headers: dict[str, str], site_id: str | None = None) -> list[dict[str, Any]]:
        query = f"?site_id={site_id}" if site_id else ""
        answer = await self.client.get(f"/api/v1/visitors/live{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        visitors: list[dict[str, Any]] = answer.json()["visitors"]
        return visitors

    async def live_when(self, headers: dict[str, str], count: int, seconds: float = 20.0) -> list[dict[str, Any]]:
        """The live list once it has `count` visitors (stored a moment after the 202 when distributed)."""
        shown: list[dict[str, Any]] = []

        async def enough() -> bool:
            nonlocal shown
            shown = await self.live(headers)
            return len(shown) >= count

        await eventually(enough, seconds)
        return shown

    async def detail(self, headers: dict[str, str], visitor_id: str) -> dict[str, Any]:
        answer = await self.client.get(f"/api/v1/visitors/{visitor_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def pages_when(self, headers: dict[str, str], visitor_id: str, count: int) -> dict[str, Any]:
        """The visitor's detail once `count` page views are stored in their visits."""
        found: dict[str, Any] = {}

        async def stored() -> bool:
            nonlocal found
            answer = await self.client.get(f"/api/v1/visitors/{visitor_id}", headers=headers)
            if answer.status_code != 200:
                return False
            found = answer.json()
            return sum(len(v["pages"]) for v in found["visits"]) >= count

        await eventually(stored)
        return found

    async def direct(self, identity: Identity, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request to the tracking service itself, as if the gateway had been bypassed."""
        transport = httpx.ASGITransport(app=self.tracking)
        async with httpx.AsyncClient(transport=transport, base_url="http://tracking") as client:
            headers = {**as_identity(self.settings, identity), **kwargs.pop("headers", {})}
            return await client.request(method, path, headers=headers, **kwargs)


@asynccontextmanager
async def floor(
    settings: Settings, with_chat: bool = False, with_tracking: bool = True, **overrides: Any
) -> AsyncIterator[Floor]:
    """The gateway and tracking (and chat, for the exports), started; stopped at the end. Without tracking
    (distributed only), the gateway accepts batches into the stream and nobody stores them yet."""
    settings = settings.model_copy(
        update={"admin_api_key": ADMIN_KEY, "demo_seed": False, "trusted_proxies": "127.0.0.1", **overrides}
    )
    bus = MemoryBus() if settings.redis_url is None else None
    tracking = create_tracking(settings, bus)
    services = ({"tracking": tracking} if with_tracking else {}) | (
        {"chat": create_chat(settings, bus)} if with_chat else {}
    )
    gateway = create_gateway(settings, bus, services)
    async with gateway.router.lifespan_context(gateway):
        transport = httpx.ASGITransport(app=gateway)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url, timeout=15) as client:
            yield Floor(settings, gateway, tracking, client)
