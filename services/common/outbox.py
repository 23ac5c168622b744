"""Transactional outbox: events are written with the change, then published by a relay.

A crash between the commit and the publish loses nothing: the row stays until the bus took it.
Consumers record the ids they handled in the same transaction as their effect (`handle_once`).
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventBus
from services.common.db import Database, UTCDateTime, utcnow
from services.common.events import Event, EventPayload

log = logging.getLogger("floorwalker.outbox")
BATCH = 200
COALESCE_SECONDS = 0.02


def outbox_table(metadata: MetaData, service: str) -> Table:
    return Table(
        f"{service}_outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("type", String(80), nullable=False),
        Column("body", Text, nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("created_at", UTCDateTime, nullable=False),
    )


def processed_events_table(metadata: MetaData, service: str) -> Table:
    return Table(
        f"{service}_processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UTCDateTime, nullable=False),
    )


async def add_event(session: AsyncConnection, table: Table, payload: EventPayload, account_id: str) -> Event:
    """Write an event in the caller's transaction; it is published after the commit."""
    event = payload.to_event(account_id)
    await session.execute(
        insert(table).values(
            id=event.id, type=event.type, body=event.model_dump_json(), attempts=0, created_at=utcnow()
        )
    )
    return event


class OutboxRelay:
    """Publishes committed outbox rows in order; woken right after a commit, and polls as a safety net."""

    def __init__(self, db: Database, table: Table, bus: EventBus, poll_interval: float = 1.0) -> None:
        self.db = db
        self.table = table
        self.bus = bus
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()

    async def _run(self) -> None:
        # The stop flag, not only cancellation, ends the loop: Python 3.11's wait_for can swallow a
        # cancellation that races its timeout, which left `stop()` waiting for ever.
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                # Let the commits of the next few milliseconds join this batch: one transaction for many events.
                await asyncio.sleep(COALESCE_SECONDS)
                while await self.flush(BATCH) == BATCH:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay of %s failed; will retry", self.table.name)
                await asyncio.sleep(self.poll_interval)

    async def flush(self, limit: int = BATCH) -> int:
        """Publish up to `limit` pending events; returns how many were published."""
        async with self.db.transaction() as session:
            query = select(self.table.c.id, self.table.c.body).order_by(self.table.c.id).limit(limit)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            published: list[str] = []
            for row_id, body in rows:
                try:
                    await self.bus.publish_event(Event.model_validate(json.loads(body)))
                except Exception:
                    log.exception("publishing event %s failed", row_id)
                    break
                published.append(row_id)
            if published:
                await session.execute(delete(self.table).where(self.table.c.id.in_(published)))
            return len(published)


async def handle_once(
    db: Database, processed: Table, event: Event, effect: Callable[[AsyncConnection, Event], Awaitable[None]]
) -> bool:
    """Apply `effect` for an event id only once, atomically with recording it. Returns False if seen."""
    try:
        async with db.transaction() as session:
            await session.execute(insert(processed).values(event_id=event.id, processed_at=utcnow()))
            await effect(session, event)
    except IntegrityError:
        async with db.reading() as session:
            seen = await session.scalar(select(processed.c.event_id).where(processed.c.event_id == event.id))
        if seen:
            return False
        raise
    return True
