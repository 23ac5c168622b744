"""One ingest transaction: check the sites, read what the batch touches, plan in memory, write."""

from collections import Counter

from sqlalchemy.ext.asyncio import AsyncConnection

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


class IngestWriter:
    def __init__(self, configs: SiteConfigs, enricher: Enricher, settings: Settings) -> None:
        self.configs = configs
        self.enricher = enricher
        self.settings = settings

    async def write(self, conn: AsyncConnection, batch: list[Submission]) -> tuple[Changes, Counter[str]]:
        """Store the submissions in the caller's transaction; returns what changed for the live list and the
        events dropped, by reason. A batch for a site tracking does not know for its account is dropped whole
        (before any row of it is written)."""
        owners = await repository.site_owners(conn, {s.site_id for s in batch})
        kept, dropped = on_known_sites(batch, owners)
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
