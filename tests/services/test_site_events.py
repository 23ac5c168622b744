"""The gateway announces its sites (`site.created/updated/deleted`, through its outbox) so the services can
check a site against its account: the demo site too, every change of what they need, never the secret."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from services.common.bus import EventBus, MemoryBus, RedisBus
from services.common.events import Event
from services.common.settings import Settings
from services.gateway.demo.pages import DEMO_SITE_KEY
from tests.helpers import eventually
from tests.services.gateway_harness import bearer, gateway, login, second_account

SITE_TYPES = ["site.created", "site.updated", "site.deleted"]


@asynccontextmanager
async def listening(settings: Settings) -> AsyncIterator[tuple[EventBus | None, list[Event]]]:
    """The bus to give the gateway (None: it makes its own Redis bus) and the site events a probe receives."""
    seen: list[Event] = []

    async def probe(event: Event) -> None:
        seen.append(event)

    if settings.redis_url is None:
        bus = MemoryBus()
        await bus.consume("probe", SITE_TYPES, probe)
        yield bus, seen
        return
    redis = RedisBus(settings.redis_url, prefix=settings.redis_prefix)
    await redis.start()
    await redis.consume("probe", SITE_TYPES, probe)
    try:
        yield None, seen
    finally:
        await redis.stop()


def of_site(seen: list[Event], site_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.payload) for e in seen if e.payload["site_id"] == site_id]


async def test_sites_are_announced_when_made_changed_and_deleted(settings: Settings) -> None:
    async with listening(settings) as (bus, seen), gateway(settings, bus) as client:
        admin = await login(client)
        demo = next(s for s in (await client.get("/api/v1/sites", headers=bearer(admin))).json()["sites"])
        assert demo["site_key"] == DEMO_SITE_KEY
        assert await eventually(lambda: bool(of_site(seen, demo["id"])))
        [(kind, payload)] = of_site(seen, demo["id"])
        assert kind == "site.created" and payload["site_key"] == DEMO_SITE_KEY and payload["name"] == "Demo shop"

        body = {"name": "Desk", "domains": ["Dealer.example"], "allowed_origins": ["https://dealer.example/"]}
        site = (await client.post("/api/v1/sites", json=body, headers=bearer(admin))).json()
        change = {"allowed_origins": ["https://dealer.example", "https://www.dealer.example"]}
        await client.patch(f"/api/v1/sites/{site['id']}", json=change, headers=bearer(admin))
        await client.patch(f"/api/v1/sites/{site['id']}", json={"widget": {"color": "#000000"}}, headers=bearer(admin))
        await client.post(f"/api/v1/sites/{site['id']}/secret", headers=bearer(admin))
        assert (await client.delete(f"/api/v1/sites/{site['id']}", headers=bearer(admin))).status_code == 204
        assert await eventually(lambda: len(of_site(seen, site["id"])) == 3)
        state = {
            "site_id": site["id"],
            "site_key": site["site_key"],
            "name": "Desk",
            "domains": ["dealer.example"],
            "allowed_origins": ["https://dealer.example"],
        }
        updated = {**state, "allowed_origins": ["https://dealer.example", "https://www.dealer.example"]}
        # The widget's look and the secret are nobody else's business: no event for them.
        assert of_site(seen, site["id"]) == [
            ("site.created", state),
            ("site.updated", updated),
            ("site.deleted", updated),
        ]
        assert {e.account_id for e in seen} == {admin["user"]["account_id"]}
        assert site["secret"] not in str([e.model_dump() for e in seen])
        gone = await client.get(f"/api/v1/sites/{site['id']}", headers=bearer(admin))
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "site_not_found"


async def test_deleting_a_site_is_for_its_accounts_admins_only(settings: Settings) -> None:
    async with listening(settings) as (bus, seen), gateway(settings, bus) as client:
        admin, olga = await login(client), await login(client, "olga@demo.example")
        boss = await second_account(client)
        demo = (await client.get("/api/v1/sites", headers=bearer(admin))).json()["sites"][0]
        foreign = await client.delete(f"/api/v1/sites/{demo['id']}", headers=bearer(boss))
        assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "site_not_found"
        refused = await client.delete(f"/api/v1/sites/{demo['id']}", headers=bearer(olga))
        assert refused.status_code == 403
        assert (await client.delete("/api/v1/sites/..%2Fx", headers=bearer(admin))).status_code == 404
        assert (await client.get(f"/api/v1/sites/{demo['id']}", headers=bearer(admin))).status_code == 200
        assert await eventually(lambda: bool(seen))
        assert [e.type for e in seen] == ["site.created"]
