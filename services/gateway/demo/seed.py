"""First start: a demo account with an admin, two operators and the demo shop site (announced: `site.created`)."""

import asyncio
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.gateway import accounts as accts
from services.gateway import audit, site_admin
from services.gateway.api.schemas import CreateSite, WidgetLook
from services.gateway.demo.catalogue import SECTIONS
from services.gateway.demo.pages import DEMO_SITE_KEY
from services.gateway.models import sites
from services.gateway.proxy import ServiceClients

log = logging.getLogger("floorwalker.demo")
DEMO_PASSWORD = "floorwalker"
DEMO_ADMIN = "admin@demo.example"
DEMO_OPERATORS = (("olga@demo.example", "Olga Souza"), ("ivan@demo.example", "Ivan Petrov"))


def demo_origins(public_url: str) -> list[str]:
    origin = public_url.rstrip("/")
    origins = {origin}
    for local, other in (("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")):
        if f"//{local}" in origin:
            origins.add(origin.replace(f"//{local}", f"//{other}"))
    return sorted(origins)


async def seed_demo(runtime: ServiceRuntime, clients: ServiceClients) -> asyncio.Task[None] | None:
    """The demo data, unless there; returns the task storing the demo shop's tracking settings."""
    async with runtime.db.reading() as conn:
        if await conn.scalar(select(sites.c.id).where(sites.c.site_key == DEMO_SITE_KEY)):
            return None
    try:
        async with runtime.db.transaction() as conn:
            account_id = await accts.create_account(conn, "Demo Shop")
            await accts.add_user(conn, account_id, DEMO_ADMIN, DEMO_PASSWORD, "Ana Admin", "admin")
            for email, name in DEMO_OPERATORS:
                await accts.add_user(conn, account_id, email, DEMO_PASSWORD, name, "operator")
            body = CreateSite(
                name="Demo shop",
                domains=["127.0.0.1", "localhost"],
                allowed_origins=demo_origins(runtime.settings.public_url),
                widget=WidgetLook(title="Chat with us", greeting="Olá! Can we help you find something?"),
                language="en",  # EMB-11: its pages say pt-BR, its widget (and tests) speak English
            )
            site = await site_admin.create_site(
                conn, account_id, body, runtime.settings.public_url, audit.SYSTEM, site_key=DEMO_SITE_KEY
            )
    except (IntegrityError, Conflict):
        log.info("demo data was created by another process")
        return None
    if runtime.relay is not None:  # its `site.created` now, so tracking knows the shop before its first visitor
        try:
            await runtime.relay.flush()
        except Exception:
            log.warning("the demo site's events could not be published now; the relay will", exc_info=True)
    log.info("demo account created: %s / %s", DEMO_ADMIN, DEMO_PASSWORD)
    admin = Identity(kind="user", account_id=account_id, user_id="demo-seed", role="admin")
    return asyncio.create_task(_seed_tracking(clients, admin, site.id))


def demo_tracking_settings() -> dict[str, Any]:
    """The demo shop's sections, product pages and search page, as a site owner would set them."""
    return {
        "sections": [{"name": name, "pattern": f"/demo/{key}/*"} for key, (name, _) in SECTIONS.items()],
        "products": [{"pattern": f"/demo/{key}/{{sku}}"} for key in SECTIONS],
        "searches": [{"pattern": "/demo/search", "param": "q"}],
        "retention_days": 365,
    }


async def _seed_tracking(clients: ServiceClients, admin: Identity, site_id: str) -> None:
    """Through the tracking API (it owns these settings); in the distributed mode it may start after us."""
    for _ in range(60):
        try:
            answer = await clients.call(
                "PUT", f"/api/v1/track/settings/{site_id}", admin, json=demo_tracking_settings()
            )
            if answer.status_code == 200:
                return
        except Exception:
            log.debug("tracking not reachable yet for the demo settings", exc_info=True)
        await asyncio.sleep(1)
    log.warning("could not store the demo shop's tracking settings")
