"""Events the reporting service consumes (consumer group `reporting`), each counted at most once."""

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.events import (
    PAYLOADS,
    ConversationAccepted,
    ConversationClosed,
    ConversationStarted,
    Event,
    MessageCreated,
    PageviewRecorded,
)
from services.common.outbox import handle_once
from services.common.service import Consumer, ServiceRuntime
from services.reporting.daily import add_to_day, increments, utc_day
from services.reporting.models import processed

log = logging.getLogger("floorwalker.reporting")

CONSUMED = [
    e.TYPE for e in (ConversationStarted, ConversationAccepted, ConversationClosed, MessageCreated, PageviewRecorded)
]


def on_event(runtime: ServiceRuntime) -> EventHandler:
    async def handle(event: Event) -> None:
        try:
            moment, adds = increments(PAYLOADS[event.type].model_validate(event.payload))
        except (KeyError, ValidationError, ValueError):
            # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
            # producer's outbox) moving.
            log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
            return

        async def effect(session: AsyncConnection, _: Event) -> None:
            await add_to_day(session, event.account_id, utc_day(moment), adds)

        await handle_once(runtime.db, processed, event, effect)

    return handle


CONSUMERS = [Consumer(CONSUMED, on_event)]
