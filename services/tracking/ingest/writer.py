"""One ingest transaction: check the sites, read what the batch touches, plan in memory, write."""

from collections import Counter
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import ServiceUnavailable
from services.common.outbox import add_events
from services.common.settings import Settings
from services.tracking import repository
from services.tracking.enrichment import Enricher
from services.tracking.ingest.plan import (
    VISITOR_FIELDS,
    BatchPlan,
    Changes,
    Loaded,
    Submission,
    new_visitor_rows,
    on_known_sites,
    page_keys,
)
from services.tracking.models import outbox
from services.tracking.site_config import SiteConfigs
from services.tracking.sites import SITES

# How long a batch for a site tracking has not heard of is retried before it is dropped as `unknown_site`:
# the gateway accepted it, so its `site.created` is on the way (the outbox relays it within seconds).
SITE_NEWS_WAIT = timedelta(minutes=10)


class SiteNotYetKnown(ServiceUnavailable):
    """A batch of a site whose `site.created` has not reached tracking yet: handled again later (the Redis
    bus retries the entry; embedded, the widget gets a 503 and sends the events again)."""

    code = "tracking_unavailable"


class IngestWriter:
    def __init__(self, configs: SiteConfigs, enricher: Enricher, settings: Settings) -> None:
        self.configs = configs
        self.enricher = enricher
        self.settings = settings

    async def write(self, conn: AsyncConnection, batch: list[Submission]) -> tuple[Changes, Counter[str]]:
        """Store the submissions in the caller's transaction; returns what changed for the live list and the
        events dropped, by reason. A batch for a site tracking does not know for its account is dropped whole
        (before any row of it is written)."""
        known = await SITES.known(conn, {s.site_id for s in batch})
        self._wait_for_new_sites([s for s in batch if s.site_id not in known])
        kept, dropped = on_known_sites(batch, {site: owner for site, owner in known.items() if owner})
        if not kept:
            return Changes(), dropped
        plan = BatchPlan(
            await self._load(conn, kept),
            self.enricher.place,
            self.settings.robot_burst_pages,
            self.settings.robot_burst_seconds,
        )
        plan.apply(kept)
        await self._store(conn, plan)
        dropped.update(plan.dropped)
        return plan.changes, dropped

    @staticmethod
    def _wait_for_new_sites(unknown: list[Submission]) -> None:
        """Raise `SiteNotYetKnown` if a recent submission is of a site tracking has no event of at all (a
        deleted site's tombstone counts as heard of: those are dropped)."""
        if any(s.received_at > utcnow() - SITE_NEWS_WAIT for s in unknown):
            raise SiteNotYetKnown("Tracking has not heard of this site yet; send the events again in a moment.")

    async def _load(self, conn: AsyncConnection, batch: list[Submission]) -> Loaded:
        await repository.create_missing_visitors(conn, new_visitor_rows(batch))
        rows = await repository.lock_visitors(conn, {s.visitor_id for s in batch})
        current = [row["current_visit_id"] for row in rows.values() if row["current_visit_id"]]
        return Loaded(
            visitors=rows,
            visits=await repository.visits_by_id(conn, current),
            known_pages=await repository.known_pages(conn, page_keys(batch)),
            patterns={site_id: await self.configs.patterns(conn, site_id) for site_id in {s.site_id for s in batch}},
        )

    async def _store(self, conn: AsyncConnection, plan: BatchPlan) -> None:
        await repository.insert_visits(conn, plan.new_visit_rows())
        await repository.update_visits(conn, plan.visit_updates())
        await repository.insert_page_rows(conn, plan.new_page_rows(), plan.product_rows, plan.search_rows)
        await repository.raise_time_spent(conn, plan.time_spent_updates())
        await repository.update_visitors(conn, VISITOR_FIELDS, plan.visitor_updates())
        await add_events(conn, outbox, plan.events)
