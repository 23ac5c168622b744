"""A service's read model of the gateway's sites, and the check every site-scoped request goes through.

The gateway owns sites and publishes `site.created/updated/deleted` through its outbox; a service that
acts on sites (tracking, rules) keeps them in its own `<service>_sites` table and acts on a site id only
for the account it belongs to there: anything else is 404 `site_not_found`. Nobody claims a site id by
writing to it first. The newest event wins whatever the order (the three types are three streams), and a
deletion is kept as a tombstone, so a late `site.updated` cannot bring a deleted site back.
"""

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, MetaData, String, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.db import UTCDateTime, upsert_insert
from services.common.errors import NotFound
from services.common.events import Event, SiteCreated, SiteDeleted, SiteUpdated, payloads
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

log = logging.getLogger("floorwalker.sites")
SiteEvent = SiteCreated | SiteUpdated | SiteDeleted
SITE_EVENTS: dict[str, type[SiteCreated] | type[SiteUpdated] | type[SiteDeleted]] = {
    SiteCreated.TYPE: SiteCreated,
    SiteUpdated.TYPE: SiteUpdated,
    SiteDeleted.TYPE: SiteDeleted,
}
SITE_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")  # the shape of the gateway's site ids
OnDeleted = Callable[[AsyncConnection, str], Awaitable[None]]


def sites_table(metadata: MetaData, service: str) -> Table:
    """The `<service>_sites` table: one row per site the service heard of (deleted ones as tombstones)."""
    name = f"{service}_sites"
    return Table(
        name,
        metadata,
        Column("site_id", String(36), primary_key=True),
        Column("account_id", String(36), nullable=False),
        Column("site_key", String(64), nullable=True),
        Column("name", String(200), nullable=True),
        Column("domains", JSON, nullable=True),
        Column("allowed_origins", JSON, nullable=True),
        Column("deleted", Boolean, nullable=False, server_default="0"),
        Column("changed_at", UTCDateTime, nullable=True),
        Index(f"ix_{name}_account", "account_id"),
    )


def no_such_site() -> NotFound:
    return NotFound("No such site.", code="site_not_found")


class SiteReadModel:
    """Queries and the event handler of one service's sites table. `on_deleted(conn, site_id)` drops what
    the service keeps of a deleted site, in the transaction that records the deletion."""

    def __init__(self, table: Table, processed: Table, on_deleted: OnDeleted | None = None) -> None:
        self.table = table
        self.processed = processed
        self.on_deleted = on_deleted

    async def owner(self, conn: AsyncConnection, site_id: str, *, for_update: bool = False) -> str | None:
        """The account a site belongs to, or None when the service does not know it (or it was deleted).
        `for_update`: the row stays locked until the transaction ends (PostgreSQL), which serializes the
        writes of one site's data."""
        table = self.table.c
        query = select(table.account_id).where(table.site_id == site_id, table.deleted.is_(False))
        if for_update and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        owner: str | None = await conn.scalar(query)
        return owner

    async def known(self, conn: AsyncConnection, site_ids: Iterable[str]) -> dict[str, str | None]:
        """The sites of `site_ids` the service has an event of: {site id: its account, or None if deleted}. Any
        other site id is one whose `site.created` has not reached the service yet (or that never existed).
        One query, so a `site.created` committed meanwhile is either wholly seen or not at all."""
        wanted = sorted(set(site_ids))
        if not wanted:
            return {}
        table = self.table.c
        query = select(table.site_id, table.account_id, table.deleted).where(table.site_id.in_(wanted))
        return {site_id: None if deleted else account for site_id, account, deleted in await conn.execute(query)}

    async def check(self, conn: AsyncConnection, caller: Identity, site_id: str, *, for_update: bool = False) -> None:
        """Raise 404 `site_not_found` unless the site is known to belong to the caller's account."""
        if (
            not SITE_ID.fullmatch(site_id)
            or await self.owner(conn, site_id, for_update=for_update) != caller.account_id
        ):
            raise no_such_site()

    async def save(self, conn: AsyncConnection, state: dict[str, Any]) -> bool:
        """Store a site's state (`site_id, account_id, site_key, name, domains, allowed_origins, deleted,
        changed_at`) unless what is stored is newer or a deletion. Returns True when it was stored."""
        changes = {k: v for k, v in state.items() if k != "site_id"}
        stored = self.table.c
        statement = (
            upsert_insert(conn, self.table)
            .values(**state)
            .on_conflict_do_update(
                index_elements=[stored.site_id],
                set_=changes,
                where=and_(
                    stored.deleted.is_(False),
                    or_(stored.changed_at.is_(None), stored.changed_at <= state["changed_at"]),
                ),
            )
        )
        result = await conn.execute(statement)
        return bool(result.rowcount)

    async def apply(self, conn: AsyncConnection, event: Event, site: SiteEvent) -> None:
        deleted = event.type == SiteDeleted.TYPE
        state = {
            "site_id": site.site_id,
            "account_id": event.account_id,
            "site_key": site.site_key,
            "name": site.name,
            "domains": site.domains,
            "allowed_origins": site.allowed_origins,
            "deleted": deleted,
            "changed_at": event.occurred_at,
        }
        if await self.save(conn, state) and deleted and self.on_deleted is not None:
            await self.on_deleted(conn, site.site_id)

    def handler(self, runtime: ServiceRuntime) -> EventHandler:
        """`site.created/updated/deleted`, each applied once."""

        async def handle(event: Event) -> None:
            site = payloads([event], SITE_EVENTS[event.type], log).get(event.id)
            if site is None:
                return  # malformed: logged, dropped (retrying cannot fix it)

            async def effect(conn: AsyncConnection, _: Event) -> None:
                await self.apply(conn, event, site)

            await handle_once(runtime.db, self.processed, event, effect)

        return handle
