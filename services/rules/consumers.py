"""Events the rules service consumes (consumer group `rules`), each applied at most once."""

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.events import Event, PageviewRecorded
from services.common.outbox import handle_once
from services.common.service import Consumer, ServiceRuntime
from services.rules.models import processed
from services.rules.visitor_stats import count_pageview

log = logging.getLogger("floorwalker.rules")


def on_pageview(runtime: ServiceRuntime) -> EventHandler:
    async def handle(event: Event) -> None:
        try:
            view = PageviewRecorded.model_validate(event.payload)
        except ValidationError:
            # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
            # producer's outbox) moving.
            log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
            return

        async def effect(session: AsyncConnection, _: Event) -> None:
            await count_pageview(session, event.account_id, view)

        await handle_once(runtime.db, processed, event, effect)

    return handle


CONSUMERS = [Consumer([PageviewRecorded.TYPE], on_pageview)]
