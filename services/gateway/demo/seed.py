"""First start: a demo account with an admin, two operators and the demo shop site."""

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.service import ServiceRuntime
from services.gateway import accounts as accts
from services.gateway.api.schemas import CreateSite, WidgetLook
from services.gateway.demo.pages import DEMO_SITE_KEY
from services.gateway.models import sites

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


async def seed_demo(runtime: ServiceRuntime) -> None:
    async with runtime.db.reading() as session:
        if await session.scalar(select(sites.c.id).where(sites.c.site_key == DEMO_SITE_KEY)):
            return
    try:
        async with runtime.db.transaction() as session:
            account_id = await accts.create_account(session, "Demo Shop")
            await accts.add_user(session, account_id, DEMO_ADMIN, DEMO_PASSWORD, "Ana Admin", "admin")
            for email, name in DEMO_OPERATORS:
                await accts.add_user(session, account_id, email, DEMO_PASSWORD, name, "operator")
            body = CreateSite(
                name="Demo shop",
                domains=["127.0.0.1", "localhost"],
                allowed_origins=demo_origins(runtime.settings.public_url),
                widget=WidgetLook(title="Chat with us", greeting="Olá! Can we help you find something?"),
            )
            await accts.create_site(session, account_id, body, runtime.settings.public_url, site_key=DEMO_SITE_KEY)
    except IntegrityError:
        log.info("demo data was created by another process")
        return
    log.info("demo account created: %s / %s", DEMO_ADMIN, DEMO_PASSWORD)
