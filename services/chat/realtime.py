"""Realtime frames of chat: published at once, and again from the database if that may have failed.

A change that clients must see live (a new message, a conversation's new state) writes its frame to
`chat_realtime_pending` in its own transaction (`stage`, then `pending_row` or `add`). After the commit the
frame is published straight away (`publish`: the normal path, nothing else waits) and its row is queued
for deletion; the queue is emptied every `DELETE_INTERVAL` seconds in one statement, off the latency path.
Every replica sweeps rows older than `REPUBLISH_AFTER` seconds — frames whose publish failed (Redis away)
or whose process died between the commit and the publish — publishes them again and deletes them. A frame
may so arrive twice: clients drop a `message.created` whose seq they hold.
"""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.models import realtime_pending
from services.common.bus import EventBus
from services.common.db import Database, utcnow
from services.common.ids import new_id
from services.common.service import ServiceRuntime

log = logging.getLogger("floorwalker.chat.realtime")
PUBLISH_TIMEOUT = 1.0  # seconds a direct publish may take before its row is left to the sweeper
DELETE_INTERVAL = 0.25
REPUBLISH_AFTER = 1.0  # a row this old was not published by its writer (or it is about to be deleted)
SWEEP_INTERVAL = 0.5
SWEEP_BATCH = 200
INSERT_PENDING = insert(realtime_pending)
# Frames that may change a queue's summary or a waiting chat's position (`routing/watch.py`).
WATCHED = frozenset({"conversation.updated", "conversation.offered", "conversation.removed", "presence.updated"})


@dataclass
class Frame:
    """A frame to publish on some channels, with the id of its pending row. `addressed`: its channels are those
    of who sees its conversation (`audience.py`); `add` addresses a frame about a conversation that is not."""

    id: str
    channels: tuple[str, ...]
    body: dict[str, Any]
    addressed: bool = False

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channels": " ".join(self.channels),
            "frame": json.dumps(self.body, separators=(",", ":")),
            "created_at": utcnow(),
        }


def channels_of(account_id: str, visitor_id: str | None) -> tuple[str, ...]:
    """The account's operators and the visitor's tabs."""
    return (f"account:{account_id}", f"visitor:{visitor_id}") if visitor_id else (f"account:{account_id}",)


def stage(account_id: str, visitor_id: str | None, body: dict[str, Any]) -> Frame:
    return Frame(id=new_id(), channels=channels_of(account_id, visitor_id), body=body)


async def add(conn: AsyncConnection, frame: Frame) -> None:
    """Write the frame's pending row in the caller's transaction, addressed first when it is about a conversation."""
    if not frame.addressed:
        from services.chat import audience  # built on this module

        await audience.address(conn, frame)
    await conn.execute(INSERT_PENDING, frame.row())


class PendingFrames:
    """Publishes staged frames after their commit and republishes those left pending (one per service app)."""

    def __init__(self) -> None:
        self._db: Database | None = None
        self._bus: EventBus | None = None
        self._published: list[str] = []  # rows whose frame went out: deleted by the next pass
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Accounts whose waiting may have changed (a frame of `WATCHED` sent): `routing/watch.py` takes them.
        self.changed: set[str] = set()

    @property
    def bus(self) -> EventBus:
        assert self._bus is not None, "PendingFrames.start was not called"
        return self._bus

    async def start(self, runtime: ServiceRuntime) -> None:
        self._db, self._bus = runtime.db, runtime.bus
        self._stopping = False
        self._task = asyncio.create_task(self._run())

    async def stop(self, runtime: ServiceRuntime) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self._delete_published()

    async def publish(self, frame: Frame) -> bool:
        """Publish a committed frame now; False (its row stays, the sweeper sends it) if that failed."""
        if await self.send(frame.channels, frame.body):
            self._published.append(frame.id)
            return True
        return False

    async def send(self, channels: tuple[str, ...], body: dict[str, Any]) -> bool:
        """Publish a frame, at most `PUBLISH_TIMEOUT` long; never raises."""
        if body.get("type") in WATCHED:
            self.changed.update(c.removeprefix("account:") for c in channels if c.startswith("account:"))
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                await self.bus.publish_many(channels, body)
        except Exception:
            log.warning("realtime publish on %s failed; it will be published again", channels, exc_info=True)
            return False
        return True

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + SWEEP_INTERVAL
        while not self._stopping:  # not only the cancellation: one inside a database call can come out as another error
            await asyncio.sleep(DELETE_INTERVAL)
            try:
                await self._delete_published()
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + SWEEP_INTERVAL
                    while await self.sweep() == SWEEP_BATCH:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("realtime frames: a pass failed; retrying", exc_info=True)

    async def _delete_published(self) -> None:
        if not self._published or self._db is None:
            return
        ids, self._published = self._published, []
        try:
            async with self._db.transaction() as conn:
                await conn.execute(delete(realtime_pending).where(realtime_pending.c.id.in_(ids)))
        except BaseException:
            self._published = ids + self._published  # deleted next time (or republished: harmless)
            raise

    async def sweep(self) -> int:
        """Publish the frames pending longer than `REPUBLISH_AFTER` and delete their rows; returns how many
        rows it took. Replicas share the work (`FOR UPDATE SKIP LOCKED` on PostgreSQL)."""
        assert self._db is not None
        cutoff = utcnow() - timedelta(seconds=REPUBLISH_AFTER)
        query = (
            select(realtime_pending.c.id, realtime_pending.c.channels, realtime_pending.c.frame)
            .where(realtime_pending.c.created_at < cutoff)
            .order_by(realtime_pending.c.created_at)
            .limit(SWEEP_BATCH)
        )
        if self._db.is_sqlite:  # one process: nobody else sweeps; no lock held while publishing
            async with self._db.reading() as conn:
                rows = list(await conn.execute(query))
            done = await self._republish(rows)
            if done:
                async with self._db.transaction() as conn:
                    await conn.execute(delete(realtime_pending).where(realtime_pending.c.id.in_(done)))
            return len(rows)
        async with self._db.transaction() as conn:
            rows = list(await conn.execute(query.with_for_update(skip_locked=True)))
            done = await self._republish(rows)
            if done:
                await conn.execute(delete(realtime_pending).where(realtime_pending.c.id.in_(done)))
        return len(rows)

    async def _republish(self, rows: list[Any]) -> list[str]:
        """The ids of the rows now published (or published before: their delete was pending), in order,
        stopping at the first failure (Redis still away: the rest waits for the next sweep)."""
        known = set(self._published)
        done: list[str] = []
        for row_id, channels, body in rows:
            if row_id not in known:
                if not await self.send(tuple(channels.split()), json.loads(body)):
                    break
                log.info("republished realtime frame %s", row_id)
            done.append(row_id)
        return done
