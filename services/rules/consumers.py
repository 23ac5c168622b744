"""Events the rules service consumes (consumer group `rules`), each applied at most once.

The page views read together are applied in one transaction (in stream order).
"""

import logging
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler
from services.common.events import Event, PageviewRecorded
from services.common.outbox import handle_batch_once
from services.common.service import Consumer, ServiceRuntime
from services.rules.models import processed
from services.rules.visitor_stats import count_pageview

log = logging.getLogger("floorwalker.rules")


class CountPageviews(BatchEventHandler):
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def handle_batch(self, events: Sequence[Event]) -> None:
        views: dict[str, PageviewRecorded] = {}
        for event in events:
            try:
                views[event.id] = PageviewRecorded.model_validate(event.payload)
            except ValidationError:
                # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
                # producer's outbox) moving.
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
        if not views:
            return

        async def effect(session: AsyncConnection, new: list[Event]) -> None:
            for event in new:
                await count_pageview(session, event.account_id, views[event.id])

        await handle_batch_once(self.runtime.db, processed, [e for e in events if e.id in views], effect)


CONSUMERS = [Consumer([PageviewRecorded.TYPE], CountPageviews)]
