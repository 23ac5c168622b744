"""Transactional outbox: events are written with the change, then published by a relay.

A crash between the commit and the publish loses nothing: the row stays until the bus took it.
Consumers record the ids they handled in the same transaction as their effect (`handle_once`).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Column, Insert, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventBus
from services.common.db import Database, UTCDateTime, upsert_insert, utcnow
from services.common.events import Event, EventPayload

log = logging.getLogger("floorwalker.outbox")
BATCH = 200
STOP_SECONDS = 5.0  # how long `stop` waits for a pass under way
COALESCE_SECONDS = 0.05  # commits wait this long for company: fewer relay transactions (realtime frames do not wait)


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


async def add_event(conn: AsyncConnection, table: Table, payload: EventPayload, account_id: str) -> Event:
    """Write an event in the caller's transaction; it is published after the commit."""
    event = payload.to_event(account_id)
    await conn.execute(_insert_into(table), outbox_row(event))
    return event


def outbox_row(event: Event) -> dict[str, Any]:
    """The outbox row of an event, for a service that writes it with its own statement."""
    return {"id": event.id, "type": event.type, "body": event.model_dump_json(), "attempts": 0, "created_at": utcnow()}


def _insert_into(table: Table) -> Insert:
    """One INSERT statement per table, built once (parameters are passed with each execution)."""
    statement = _INSERTS.get(table.name)
    if statement is None or statement.table is not table:
        statement = _INSERTS[table.name] = insert(table)
    return statement


_INSERTS: dict[str, Insert] = {}


async def add_events(conn: AsyncConnection, table: Table, items: Sequence[tuple[EventPayload, str]]) -> None:
    """Write many events (payload, account id) in the caller's transaction with one batched INSERT."""
    if not items:
        return
    created_at = utcnow()
    rows = []
    for payload, account_id in items:
        event = payload.to_event(account_id)
        rows.append(
            {
                "id": event.id,
                "type": event.type,
                "body": event.model_dump_json(),
                "attempts": 0,
                "created_at": created_at,
            }
        )
    await conn.execute(insert(table), rows)


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
        """Let a pass under way finish (cancelled between publishing and deleting, it would publish its
        events again on the next pass), then publish what is left."""
        self._stopping = True
        self._wake.set()
        if self._task:
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    await asyncio.shield(self._task)
            except TimeoutError:
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
        query = select(self.table.c.id, self.table.c.body).order_by(self.table.c.id).limit(limit)
        if self.db.is_sqlite:
            # Embedded: one process, and this relay is the only one of its outbox, so no lock is held while
            # publishing. The memory bus runs the other services' handlers inline: a relay holding its
            # database's write lock meanwhile, while another service's relay held that service's, made
            # each wait for the other until SQLite's busy timeout.
            async with self.db.reading() as conn:
                rows = [(row_id, body) for row_id, body in await conn.execute(query)]
            published = await self._publish(rows)
            if published:
                async with self.db.transaction() as conn:
                    await conn.execute(delete(self.table).where(self.table.c.id.in_(published)))
            return len(published)
        async with self.db.transaction() as conn:  # replicas share the outbox: each takes its own rows
            locked = await conn.execute(query.with_for_update(skip_locked=True))
            rows = [(row_id, body) for row_id, body in locked]
            published = await self._publish(rows)
            if published:
                await conn.execute(delete(self.table).where(self.table.c.id.in_(published)))
            return len(published)

    async def _publish(self, rows: list[tuple[str, str]]) -> list[str]:
        """Publish the rows' events in order; returns the ids of those handed over."""
        if not rows:
            return []
        events = [Event.model_validate_json(body) for _, body in rows]
        try:
            await self.bus.publish_events(events)
        except Exception:
            # Some may have gone: publish one at a time, as far as it goes (a double is harmless).
            log.warning("publishing %d events at once failed; one by one now", len(events), exc_info=True)
            published: list[str] = []
            for (row_id, _), event in zip(rows, events, strict=True):
                try:
                    await self.bus.publish_event(event)
                except Exception:
                    log.exception("publishing event %s failed", row_id)
                    break
                published.append(row_id)
            return published
        return [row_id for row_id, _ in rows]


async def handle_once(
    db: Database, processed: Table, event: Event, effect: Callable[[AsyncConnection, Event], Awaitable[None]]
) -> bool:
    """Apply `effect` for an event id only once, atomically with recording it. Returns False if seen."""
    try:
        async with db.transaction() as conn:
            await conn.execute(insert(processed).values(event_id=event.id, processed_at=utcnow()))
            await effect(conn, event)
    except IntegrityError:
        async with db.reading() as conn:
            seen = await conn.scalar(select(processed.c.event_id).where(processed.c.event_id == event.id))
        if seen:
            return False
        raise
    return True


async def handle_batch_once(
    db: Database,
    processed: Table,
    events: Sequence[Event],
    effect: Callable[[AsyncConnection, list[Event]], Awaitable[None]],
) -> list[Event]:
    """`handle_once` for many events in one transaction: `effect` gets those not seen before (in order).

    Returns them. The ids are recorded in id order, so concurrent consumers lock them in the same order.
    """
    fresh: dict[str, Event] = {}
    for event in events:
        fresh.setdefault(event.id, event)
    if not fresh:
        return []
    now = utcnow()
    async with db.transaction() as conn:
        record = (
            upsert_insert(conn, processed)
            .values([{"event_id": event_id, "processed_at": now} for event_id in sorted(fresh)])
            .on_conflict_do_nothing(index_elements=[processed.c.event_id])
            .returning(processed.c.event_id)
        )
        new_ids = set((await conn.execute(record)).scalars())
        new = [event for event in fresh.values() if event.id in new_ids]
        if new:
            await effect(conn, new)
    return new
