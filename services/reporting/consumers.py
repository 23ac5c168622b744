"""Events the reporting service consumes (consumer group `reporting`), each counted at most once.

The events read together are counted in one transaction: their ids are recorded, and the increments of
the new ones are summed per account and day first, so a batch costs one upsert per day touched. The rules'
`visitor.segment_changed` are kept first, then every increment is also counted in its visitor's or
conversation's segment (`segments.py`, SEG-2), summed per account, segment and day.
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
    VisitorSegmentChanged,
)
from services.common.outbox import handle_batch_once
from services.common.service import Consumer, ServiceRuntime
from services.reporting import segments
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
        VisitorSegmentChanged,
    )
]
Counted = list[tuple[date, dict[str, float], segments.Subject | None]]
LINGER_SECONDS = 0.25  # the daily report may lag this much; in exchange a busy stream costs few transactions


class CountEvents(BatchEventHandler):
    linger = LINGER_SECONDS

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def handle_batch(self, events: Sequence[Event]) -> None:
        counted: dict[str, Counted] = {}
        changes: dict[str, VisitorSegmentChanged] = {}
        started: dict[str, ConversationStarted] = {}
        for event in events:
            try:
                payload = PAYLOADS[event.type].model_validate(event.payload)
                if isinstance(payload, VisitorSegmentChanged):
                    changes[event.id] = payload
                    continue
                found = increments(payload)
            except (KeyError, ValidationError, ValueError):
                # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
                # producer's outbox) moving.
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
                continue
            if isinstance(payload, ConversationStarted):
                started[event.id] = payload
            whose = segments.subjects(payload)
            counted[event.id] = [
                (utc_day(moment), adds, whose[n] if n < len(whose) else None) for n, (moment, adds) in enumerate(found)
            ]
        if not counted and not changes:
            return

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            await segments.record_changes(conn, [(e.account_id, changes[e.id]) for e in new if e.id in changes])
            counting = [e for e in new if e.id in counted]
            sums: dict[tuple[str, date], dict[str, float]] = defaultdict(lambda: defaultdict(int))
            for event in counting:
                for day, adds, _ in counted[event.id]:
                    day_sums = sums[event.account_id, day]
                    for name, value in adds.items():
                        day_sums[name] += value
            for (account_id, day), adds in sorted(sums.items()):  # one lock order for concurrent consumers
                await add_to_day(conn, account_id, day, dict(adds))
            await self._count_segments(conn, counting, counted, started)

        known = [e for e in events if e.id in counted or e.id in changes]
        await handle_batch_once(self.runtime.db, processed, known, effect)

    async def _count_segments(
        self,
        conn: AsyncConnection,
        counting: list[Event],
        counted: dict[str, Counted],
        started: dict[str, ConversationStarted],
    ) -> None:
        """The same increments, per account, segment and day, for those whose visitor or conversation is in one."""
        by_account: dict[str, list[Event]] = defaultdict(list)
        for event in counting:
            by_account[event.account_id].append(event)
        sums: dict[tuple[str, str, date], dict[str, float]] = defaultdict(lambda: defaultdict(int))
        for account_id, events in sorted(by_account.items()):
            starts = {started[e.id].conversation_id: started[e.id].visitor_id for e in events if e.id in started}
            await segments.conversations_started(conn, account_id, starts)
            wanted = {subject for e in events for _, _, subject in counted[e.id] if subject is not None}
            found = await segments.segments_of(conn, account_id, wanted)
            for event in events:
                for day, adds, subject in counted[event.id]:
                    segment_id = found.get(subject) if subject is not None else None
                    if segment_id is None:
                        continue
                    day_sums = sums[account_id, segment_id, day]
                    for name, value in adds.items():
                        day_sums[name] += value
        for (account_id, segment_id, day), adds in sorted(sums.items()):
            await segments.add_to_segment_day(conn, account_id, segment_id, day, dict(adds))


CONSUMERS = [Consumer(CONSUMED, CountEvents)]
