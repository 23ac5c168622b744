"""The gateway's sites as tracking knows them, and the check every site-scoped request goes through.

The gateway owns sites and publishes `site.created/updated/deleted` through its outbox; tracking keeps
them in `tracking_sites` (a read model) and acts on a site id only for the account it belongs to there:
anything else is 404 `site_not_found` (a request) or dropped as `unknown_site` (an ingest batch). Nobody
claims a site id by writing to it first.
"""

import logging
import re

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.errors import NotFound
from services.common.events import Event, SiteCreated, SiteDeleted, SiteUpdated, payloads
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking import repository
from services.tracking.models import processed_events

log = logging.getLogger("floorwalker.tracking.sites")
SITE_EVENTS: dict[str, type[SiteCreated] | type[SiteUpdated] | type[SiteDeleted]] = {
    SiteCreated.TYPE: SiteCreated,
    SiteUpdated.TYPE: SiteUpdated,
    SiteDeleted.TYPE: SiteDeleted,
}
SITE_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")  # the shape of the gateway's site ids


def no_such_site() -> NotFound:
    return NotFound("No such site.", code="site_not_found")


async def check_site(conn: AsyncConnection, caller: Identity, site_id: str) -> None:
    """Raise 404 unless tracking knows the site to belong to the caller's account."""
    if not SITE_ID.fullmatch(site_id) or await repository.site_owner(conn, site_id) != caller.account_id:
        raise no_such_site()


SiteEvent = SiteCreated | SiteUpdated | SiteDeleted


async def _apply(conn: AsyncConnection, event: Event, site: SiteEvent) -> None:
    deleted = event.type == SiteDeleted.TYPE
    stored = await repository.save_site(
        conn,
        {
            "site_id": site.site_id,
            "account_id": event.account_id,
            "site_key": site.site_key,
            "name": site.name,
            "domains": site.domains,
            "allowed_origins": site.allowed_origins,
            "deleted": deleted,
            "changed_at": event.occurred_at,
        },
    )
    if stored and deleted:
        await repository.delete_settings(conn, site.site_id)


def site_events_handler(runtime: ServiceRuntime) -> EventHandler:
    """`site.created/updated/deleted`, each applied once; the newest state wins whatever the order."""

    async def handle(event: Event) -> None:
        site = payloads([event], SITE_EVENTS[event.type], log).get(event.id)
        if site is None:
            return  # malformed: logged, dropped (retrying cannot fix it)

        async def effect(conn: AsyncConnection, _: Event) -> None:
            await _apply(conn, event, site)

        await handle_once(runtime.db, processed_events, event, effect)

    return handle
