"""Events the rules service consumes (consumer group `rules`), each applied at most once.

The page views read together are applied in one transaction (in stream order).
"""

import logging
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler
from services.common.events import Event, PageView, PageviewRecorded, PageviewsRecorded, VisitorErased
from services.common.outbox import handle_batch_once
from services.common.service import Consumer, ServiceRuntime
from services.rules.models import processed
from services.rules.visitor_stats import count_pageview, forget_visitor

log = logging.getLogger("floorwalker.rules")


class CountPageviews(BatchEventHandler):
    """Page views counted per visitor; an erased visitor's counts are deleted."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def handle_batch(self, events: Sequence[Event]) -> None:
        views: dict[str, list[PageviewRecorded | PageView]] = {}
        erased: dict[str, str] = {}  # event id: visitor id
        for event in events:
            try:
                if event.type == VisitorErased.TYPE:
                    erased[event.id] = VisitorErased.model_validate(event.payload).visitor_id
                elif event.type == PageviewsRecorded.TYPE:
                    views[event.id] = list(PageviewsRecorded.model_validate(event.payload).page_views)
                else:
                    views[event.id] = [PageviewRecorded.model_validate(event.payload)]
            except ValidationError:
                # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
                # producer's outbox) moving.
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
        if not views and not erased:
            return

        async def effect(session: AsyncConnection, new: list[Event]) -> None:
            for event in new:
                if event.id in erased:
                    await forget_visitor(session, event.account_id, erased[event.id])
                    continue
                for view in views[event.id]:
                    await count_pageview(session, event.account_id, view)

        known = [e for e in events if e.id in views or e.id in erased]
        await handle_batch_once(self.runtime.db, processed, known, effect)


CONSUMERS = [Consumer([PageviewRecorded.TYPE, PageviewsRecorded.TYPE, VisitorErased.TYPE], CountPageviews)]
