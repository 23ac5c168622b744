"""Events the reporting service consumes (consumer group `reporting`), each counted at most once.

The events read together are counted in one transaction: their ids are recorded, and the increments of
the new ones are summed per account and day first, so a batch costs one upsert per day touched.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler
from services.common.events import (
    PAYLOADS,
    ConversationAccepted,
    ConversationClosed,
    ConversationStarted,
    Event,
    MessageCreated,
    PageviewRecorded,
    PageviewsRecorded,
)
from services.common.outbox import handle_batch_once
from services.common.service import Consumer, ServiceRuntime
from services.reporting.daily import add_to_day, increments, utc_day
from services.reporting.models import processed

log = logging.getLogger("floorwalker.reporting")

CONSUMED = [
    e.TYPE
    for e in (
        ConversationStarted,
        ConversationAccepted,
        ConversationClosed,
        MessageCreated,
        PageviewRecorded,
        PageviewsRecorded,
    )
]
LINGER_SECONDS = 0.25  # the daily report may lag this much; in exchange a busy stream costs few transactions


class CountEvents(BatchEventHandler):
    linger = LINGER_SECONDS

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def handle_batch(self, events: Sequence[Event]) -> None:
        counted: dict[str, list[tuple[date, dict[str, float]]]] = {}
        for event in events:
            try:
                found = increments(PAYLOADS[event.type].model_validate(event.payload))
            except (KeyError, ValidationError, ValueError):
                # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
                # producer's outbox) moving.
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
                continue
            counted[event.id] = [(utc_day(moment), adds) for moment, adds in found]
        if not counted:
            return

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            sums: dict[tuple[str, date], dict[str, float]] = defaultdict(lambda: defaultdict(int))
            for event in new:
                for day, adds in counted[event.id]:
                    day_sums = sums[event.account_id, day]
                    for name, value in adds.items():
                        day_sums[name] += value
            for (account_id, day), adds in sorted(sums.items()):  # one lock order for concurrent consumers
                await add_to_day(conn, account_id, day, dict(adds))

        await handle_batch_once(self.runtime.db, processed, [e for e in events if e.id in counted], effect)


CONSUMERS = [Consumer(CONSUMED, CountEvents)]
