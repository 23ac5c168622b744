"""The gateway's sites as tracking knows them, and the check every site-scoped request goes through.

The gateway owns sites and publishes `site.created/updated/deleted` through its outbox; tracking keeps
them in `tracking_sites` (a read model: `services/common/sites.py`) and acts on a site id only for the
account it belongs to there: anything else is 404 `site_not_found` (a request) or dropped as
`unknown_site` (an ingest batch). A deleted site's settings go with it.
"""

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.service import ServiceRuntime
from services.common.sites import SITE_EVENTS, SiteReadModel, no_such_site
from services.common.tokens import Identity
from services.tracking import repository
from services.tracking.models import processed_events, tracking_sites

SITES = SiteReadModel(tracking_sites, processed_events, on_deleted=repository.delete_settings)

__all__ = ["SITES", "SITE_EVENTS", "check_site", "no_such_site", "site_events_handler"]


async def check_site(conn: AsyncConnection, caller: Identity, site_id: str) -> None:
    """Raise 404 unless tracking knows the site to belong to the caller's account."""
    await SITES.check(conn, caller, site_id)


def site_events_handler(runtime: ServiceRuntime) -> EventHandler:
    """`site.created/updated/deleted`, each applied once; the newest state wins whatever the order."""
    return SITES.handler(runtime)
