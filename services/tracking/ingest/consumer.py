"""Tracking's consumer of `track.batch`: the visitors' events the gateway accepted, written in batches."""

import logging
from collections import Counter
from collections.abc import Sequence

from prometheus_client import Counter as MetricCounter
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler
from services.common.events import Event, TrackBatchReceived, payloads
from services.common.outbox import handle_batch_once
from services.common.service import ServiceRuntime
from services.common.track_events import CheckedEvent, RejectedEvent, event_time, parse_events
from services.tracking.ingest.plan import (
    DROP_REASONS,
    INVALID_EVENT,
    MALFORMED_BATCH,
    NO_PAGE_VIEW,
    UNKNOWN_PAGE,
    Changes,
    Submission,
)
from services.tracking.ingest.writer import IngestWriter
from services.tracking.live import LiveBoard
from services.tracking.models import processed_events

log = logging.getLogger("floorwalker.tracking.ingest")
EVENTS_DROPPED = MetricCounter(
    "fw_tracking_events_dropped_total",
    "Events the gateway accepted (202) that tracking did not store, by reason (docs/api.md)",
    ["reason"],
)
for _reason in DROP_REASONS:
    EVENTS_DROPPED.labels(_reason)  # every reason is listed from the start, at 0
EXPECTED = {UNKNOWN_PAGE, NO_PAGE_VIEW}  # what a widget may send in good faith (say, a page that ended unseen)


def submission_of(batch: TrackBatchReceived) -> tuple[Submission, int]:
    """The events of a `track.batch` event, parsed again; and how many did not pass (dropped, not retried)."""
    events: list[CheckedEvent] = []
    invalid = 0
    for index, event in enumerate(parse_events(batch.events)):
        if isinstance(event, RejectedEvent):
            invalid += 1
            continue
        events.append((index, event, event_time(event, batch.received_at)))
    return Submission(batch.visitor, batch.user_agent, batch.received_at, events), invalid


def count_dropped(dropped: Counter[str]) -> None:
    for reason, events in dropped.items():
        if events:
            EVENTS_DROPPED.labels(reason).inc(events)
    unexpected = {reason: n for reason, n in dropped.items() if n and reason not in EXPECTED}
    if unexpected:
        log.warning("tracking dropped accepted events: %s", unexpected)


class StoreAcceptedBatches(BatchEventHandler):
    """The events read together are stored in one transaction, then the live list is updated."""

    def __init__(self, runtime: ServiceRuntime, writer: IngestWriter, board: LiveBoard) -> None:
        self.runtime = runtime
        self.writer = writer
        self.board = board

    async def handle_batch(self, events: Sequence[Event]) -> None:
        batches = payloads(events, TrackBatchReceived, log)  # a malformed one is dropped: retrying cannot fix it
        dropped: Counter[str] = Counter({MALFORMED_BATCH: len(events) - len(batches)})
        changes = Changes()

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            nonlocal changes
            submissions = []
            for event in new:
                submission, invalid = submission_of(batches[event.id])
                dropped[INVALID_EVENT] += invalid
                if submission.events:
                    submissions.append(submission)
            if submissions:
                changes, more = await self.writer.write(conn, submissions)
                dropped.update(more)

        await handle_batch_once(self.runtime.db, processed_events, [e for e in events if e.id in batches], effect)
        self.runtime.after_commit()
        count_dropped(dropped)
        await self.board.publish_changes(changes)
