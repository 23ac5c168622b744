"""Site ownership where the data lives: tracking acts on a site id only for the account its read model of
the gateway's sites (`site.created/updated/deleted`) says owns it; everything else is 404, or a batch
dropped and counted. Nobody claims a site id by writing to it first."""

from datetime import timedelta
from typing import Any

import pytest

from services.common.db import utcnow
from services.common.events import SiteCreated, SiteDeleted, SiteUpdated, TrackBatchReceived
from services.common.ids import new_id
from services.common.settings import Settings
from services.common.tokens import Identity
from services.tracking.ingest.writer import SiteNotYetKnown
from tests.helpers import ROOT, eventually
from tests.tracking_floor import FIREFOX, Floor, dropped, floor

PATTERNS = {"sections": [{"name": "TV", "pattern": "/tv/*"}], "products": [], "searches": [], "retention_days": 90}


@pytest.fixture(autouse=True)
def _geo_test_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOIP_DATABASE", str(ROOT / "tests" / "data" / "geo" / "GeoIP2-City-Test.mmdb"))


def pageview(path: str) -> dict[str, Any]:
    return {"type": "pageview", "url": f"https://shop.example{path}", "title": path}


def admin_of(account_id: str) -> Identity:
    return Identity(kind="user", account_id=account_id, user_id=new_id(), role="admin", name="Admin")


async def settings_of(place: Floor, headers: dict[str, str], site_id: str) -> tuple[int, Any]:
    answer = await place.client.get(f"/api/v1/track/settings/{site_id}", headers=headers)
    return answer.status_code, answer.json()


async def test_an_admin_of_another_account_can_neither_read_nor_write_a_sites_settings_by_any_id(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        shop, rival = await place.account(), await place.account("Rival")
        mine = f"/api/v1/track/settings/{shop.site_id}"
        assert (await place.client.put(mine, json=PATTERNS, headers=shop.admin)).status_code == 200
        site = shop.site_id
        spellings = [
            site,
            site.upper(),
            f"{site}%20",
            f"x%2F..%2F{site}",
            f"x%252F..%252F{site}",
            f"..%2F{site}",
            f"%2E%2E/{site}",
            f"{site}%00",
            f"{site}/",
            f"{site}%2F",
        ]
        for spelling in spellings:
            path = f"/api/v1/track/settings/{spelling}"
            read = await place.client.get(path, headers=rival.admin)
            written = await place.client.put(path, json={"retention_days": 1}, headers=rival.admin)
            assert read.status_code in (400, 404, 405) and written.status_code in (400, 404, 405), spelling
            assert PATTERNS["sections"] != read.json().get("sections"), spelling
        # Past the gateway too: the tracking service itself checks the site against its read model.
        for spelling in (site, site.upper(), f"{site}%20", f"x%2F..%2F{site}", f"{site}%00", "%00"):
            for method, body in (("GET", None), ("PUT", {"retention_days": 1})):
                answer = await place.direct(admin_of(rival.id), method, f"/api/v1/track/settings/{spelling}", json=body)
                assert answer.status_code in (404, 405), (spelling, method)
        assert await settings_of(place, shop.admin, site) == (200, PATTERNS)


async def test_nobody_claims_a_site_id_by_writing_it_first(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        future = new_id()  # a site the gateway has not told tracking about (yet)
        thief = admin_of(new_id())
        for who in (thief, admin_of(shop.id)):
            early = await place.direct(who, "PUT", f"/api/v1/track/settings/{future}", json={"retention_days": 1})
            assert early.status_code == 404 and early.json()["error"]["code"] == "site_not_found"
        created = SiteCreated(site_id=future, site_key="k-1", name="New", domains=[], allowed_origins=[])
        await place.tracking.state.runtime.bus.publish_event(created.to_event(shop.id))

        async def owner_may_write() -> bool:
            answer = await place.direct(
                admin_of(shop.id), "PUT", f"/api/v1/track/settings/{future}", json={"retention_days": 7}
            )
            return answer.status_code == 200

        assert await eventually(owner_may_write)
        late = await place.direct(thief, "GET", f"/api/v1/track/settings/{future}")
        assert late.status_code == 404


async def test_the_live_list_of_one_site_is_for_its_own_account_only(settings: Settings) -> None:
    async with floor(settings) as place:
        shop, rival = await place.account(), await place.account("Rival")
        second = await place.site(shop.admin)
        here = await place.visitor(shop)
        there = await place.visitor(shop, site_key=second["site_key"])
        await place.track(here, pageview("/a"))
        await place.track(there, pageview("/b"))
        await place.live_when(shop.admin, 2)
        assert [v["visitor_id"] for v in await place.live(shop.admin, second["id"])] == [there.visitor_id]
        for who, site_id in ((rival.admin, shop.site_id), (shop.admin, rival.site_id), (shop.admin, new_id())):
            answer = await place.client.get(f"/api/v1/visitors/live?site_id={site_id}", headers=who)
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "site_not_found"


async def test_a_batch_of_another_accounts_site_is_dropped_and_one_of_a_site_not_heard_of_yet_waits_for_it(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        guest = await place.visitor(shop)
        bus = place.tracking.state.runtime.bus
        before = dropped("unknown_site")
        foreign = guest.identity.model_copy(update={"account_id": new_id()})  # the site is another account's
        forgotten = guest.identity.model_copy(update={"site_id": new_id()})  # nobody told tracking in 11 minutes
        for caller, received_at in ((foreign, utcnow()), (forgotten, utcnow() - timedelta(minutes=11))):
            batch = TrackBatchReceived.of(caller, FIREFOX, received_at, [pageview("/x"), pageview("/y")], [0, 1])
            await bus.publish_event(batch.to_event(caller.account_id))
        assert await eventually(lambda: dropped("unknown_site") == before + 4)

        # A site just created: the gateway accepted its visitor's events before tracking heard of the site.
        new_site = new_id()
        early = guest.identity.model_copy(update={"site_id": new_site, "visitor_id": new_id()})
        batch = TrackBatchReceived.of(early, FIREFOX, utcnow(), [pageview("/early")], [0]).to_event(shop.id)
        if settings.redis_url is None:  # handled in the request: the widget is told to send it again
            with pytest.raises(SiteNotYetKnown):
                await bus.publish_event(batch)
        else:  # the entry stays pending and is handled again
            await bus.publish_event(batch)
        created = SiteCreated(site_id=new_site, site_key="k-new", name="New", domains=[], allowed_origins=[])
        await bus.publish_event(created.to_event(shop.id))
        if settings.redis_url is None:
            await bus.publish_event(batch)

        async def stored() -> bool:
            answer = await place.client.get(f"/api/v1/visitors/{early.visitor_id}", headers=shop.admin)
            return answer.status_code == 200 and answer.json()["current_url"] == "https://shop.example/early"

        assert await eventually(stored, 30)
        assert dropped("unknown_site") == before + 4
        await place.track(guest, pageview("/mine"))  # the site it knew all along: stored at once
        one = await place.pages_when(shop.admin, guest.visitor_id, 1)
    assert one["current_url"] == "https://shop.example/mine" and one["pages_viewed"] == 1


async def test_a_deleted_site_is_forgotten_and_a_late_update_does_not_bring_it_back(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        second = await place.site(shop.admin)
        guest = await place.visitor(shop, site_key=second["site_key"])
        path = f"/api/v1/track/settings/{second['id']}"
        assert (await place.client.put(path, json=PATTERNS, headers=shop.admin)).status_code == 200
        gone = await place.client.delete(f"/api/v1/sites/{second['id']}", headers=shop.admin)
        assert gone.status_code == 204

        async def forgotten() -> bool:
            return (await place.direct(admin_of(shop.id), "GET", path)).status_code == 404

        assert await eventually(forgotten)
        # An update written before the deletion, delivered after it (another stream): ignored.
        stale = SiteUpdated(site_id=second["id"], site_key="k", name="Old", domains=[], allowed_origins=[])
        event = stale.to_event(shop.id).model_copy(update={"occurred_at": utcnow() - timedelta(seconds=5)})
        bus = place.tracking.state.runtime.bus
        await bus.publish_event(event)
        newer = SiteUpdated(site_id=second["id"], site_key="k", name="New", domains=[], allowed_origins=[])
        await bus.publish_event(newer.to_event(shop.id))
        before = dropped("unknown_site")
        batch = TrackBatchReceived.of(guest.identity, FIREFOX, utcnow(), [pageview("/after")], [0])
        await bus.publish_event(batch.to_event(shop.id))
        assert await eventually(lambda: dropped("unknown_site") == before + 1)
        assert (await place.direct(admin_of(shop.id), "GET", path)).status_code == 404
        assert (await place.client.get(f"/api/v1/track/settings/{shop.site_id}", headers=shop.admin)).status_code == 200
        # Its deletion again (a redelivery) changes nothing either.
        deleted = SiteDeleted(site_id=second["id"], site_key="k", name="New", domains=[], allowed_origins=[])
        await bus.publish_event(deleted.to_event(shop.id))
        assert (await place.direct(admin_of(shop.id), "GET", path)).status_code == 404
