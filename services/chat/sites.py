"""The gateway's sites as chat knows them (`chat_sites`, fed by `site.created/updated/deleted`): an admin's
request naming a site (the pre-chat form) is checked against it (404 `site_not_found` for a site not of the
caller's account), and a deleted site's pre-chat form goes with it.

A site created before chat kept this model is known from chat's own conversations of it (the migration that made
`chat_sites` filled it), or once the gateway announces it again (any change to the site: `site.updated`), or from
the stream's history when distributed (a new consumer group reads from its start).
"""

from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.contact_tables import chat_sites, prechat_forms
from services.chat.models import processed
from services.common.sites import SITE_EVENTS, SiteReadModel


async def _drop_site(conn: AsyncConnection, site_id: str) -> None:
    await conn.execute(prechat_forms.delete().where(prechat_forms.c.site_id == site_id))


SITES = SiteReadModel(chat_sites, processed, on_deleted=_drop_site)

__all__ = ["SITES", "SITE_EVENTS"]
