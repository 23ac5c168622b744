import asyncio
import contextlib
import json
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ResponseError

from services.common.bus.base import BatchEventHandler, EventBus, EventHandler, RealtimeCallback
from services.common.events import Event

log = logging.getLogger("floorwalker.bus")

STREAM_MAXLEN = 200_000
BLOCK_MS = 1000
CLAIM_IDLE_MS = 30_000
Entry = tuple[str, str, dict[str, str] | None]  # stream, entry id, fields


class RedisBus(EventBus):
    """Redis Streams (one stream per event type, a consumer group per service) and pub/sub."""

    def __init__(self, url: str, prefix: str = "fw") -> None:
        self.url = url
        self.prefix = prefix
        self.redis: Redis = Redis.from_url(url, decode_responses=True)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._channels: dict[str, list[RealtimeCallback]] = defaultdict(list)
        self._lock = asyncio.Lock()
        self._closing = False
        self._outgoing: list[tuple[Event, asyncio.Future[None]]] = []  # published, not sent yet
        self._sending: set[asyncio.Task[None]] = set()

    def stream(self, event_type: str) -> str:
        return f"{self.prefix}:ev:{event_type}"

    def channel(self, name: str) -> str:
        return f"{self.prefix}:rt:{name}"

    async def start(self) -> None:
        await self.redis.ping()

    async def stop(self) -> None:
        self._closing = True
        if self._sending:  # events already published are handed over before the connection closes
            await asyncio.wait(list(self._sending), timeout=5)
        tasks = self._tasks + ([self._reader] if self._reader else [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._reader = None
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
        await self.redis.aclose()

    async def publish_event(self, event: Event) -> None:
        """The events published in one turn of the loop (say, by concurrent requests) go to Redis together,
        in one pipeline: one round trip instead of one each."""
        loop = asyncio.get_running_loop()
        handed: asyncio.Future[None] = loop.create_future()
        self._outgoing.append((event, handed))
        if len(self._outgoing) == 1:
            sending = loop.create_task(self._send_outgoing())
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)
        await handed

    async def _send_outgoing(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        try:
            await self.publish_events([event for event, _ in outgoing])
        except Exception as exc:
            for _, handed in outgoing:
                if not handed.done():
                    handed.set_exception(exc)
        else:
            for _, handed in outgoing:
                if not handed.done():
                    handed.set_result(None)

    async def publish_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(
                    self.stream(event.type), {"event": event.model_dump_json()}, maxlen=STREAM_MAXLEN, approximate=True
                )
            await pipe.execute()

    async def backlog(self, event_type: str, group: str) -> int:
        """Entries the group has not read yet plus those read and not acknowledged (0 before the group exists).

        A stream keeps its last `STREAM_MAXLEN` entries, read or not: a producer that must not lose events
        stops while the backlog nears that."""
        try:
            groups: list[dict[str, Any]] = await self.redis.xinfo_groups(self.stream(event_type))
        except ResponseError:  # no such stream yet
            return 0
        for found in groups:
            if found["name"] == group:
                unread = found.get("lag")
                if unread is None:  # Redis cannot tell after some trims: count the whole stream
                    unread = await self.redis.xlen(self.stream(event_type))
                return int(unread) + int(found["pending"])
        return 0

    async def consume(self, group: str, types: list[str], handler: EventHandler) -> None:
        streams = [self.stream(t) for t in types]
        for stream in streams:
            try:
                await self.redis.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._tasks.append(asyncio.create_task(self._consume_loop(group, streams, handler)))

    async def _consume_loop(self, group: str, streams: list[str], handler: EventHandler) -> None:
        # First our own pending entries (left by a previous run of this consumer), then new ones.
        cursor = dict.fromkeys(streams, "0")
        loop = asyncio.get_running_loop()
        next_claim = loop.time()
        linger = handler.linger if isinstance(handler, BatchEventHandler) else 0.0
        while not self._closing:
            try:
                if loop.time() >= next_claim:
                    await self._claim_stale(group, streams, handler)
                    next_claim = loop.time() + CLAIM_IDLE_MS / 2000
                batches: Any = await self.redis.xreadgroup(
                    group, self.consumer, cast(Any, cursor), count=100, block=BLOCK_MS
                )
                entries = [(stream, entry_id, fields) for stream, got in batches or [] for entry_id, fields in got]
                await self._handle(group, entries, handler)
                for stream, got in batches or []:
                    if cursor[stream] != ">":
                        cursor[stream] = got[-1][0] if got else ">"
                if linger and entries:
                    await asyncio.sleep(linger)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer %s failed; retrying", group)
                await asyncio.sleep(1)

    async def _handle(self, group: str, entries: list[Entry], handler: EventHandler) -> None:
        """Handle entries read together (all at once for a `BatchEventHandler`) and acknowledge those handled.

        An entry whose handler fails stays pending: it is claimed and retried after `CLAIM_IDLE_MS`.
        """
        done: dict[str, list[str]] = defaultdict(list)
        todo: list[tuple[str, str, Event]] = []
        for stream, entry_id, fields in entries:
            if not fields or "event" not in fields:
                done[stream].append(entry_id)
                continue
            try:
                todo.append((stream, entry_id, Event.model_validate_json(fields["event"])))
            except ValueError:
                log.exception("entry %s of %s is not an event; it stays pending", entry_id, stream)
        if isinstance(handler, BatchEventHandler) and len(todo) > 1:
            try:
                await handler.handle_batch([event for _, _, event in todo])
            except Exception:
                log.warning("%s failed on a batch of %d; handling them one by one", group, len(todo), exc_info=True)
            else:
                for stream, entry_id, _ in todo:
                    done[stream].append(entry_id)
                todo = []
        for stream, entry_id, event in todo:
            try:
                await handler(event)
            except Exception:
                log.exception("handler of %s failed on %s; it will be retried", group, event.id)
                continue
            done[stream].append(entry_id)
        if len(done) == 1:
            stream, ids = next(iter(done.items()))
            await self.redis.xack(stream, group, *ids)
        elif done:
            async with self.redis.pipeline(transaction=False) as pipe:
                for stream, ids in done.items():
                    pipe.xack(stream, group, *ids)
                await pipe.execute()

    async def _claim_stale(self, group: str, streams: list[str], handler: EventHandler) -> None:
        """Take over and handle entries a crashed consumer (or a failed handler) left unacknowledged."""
        for stream in streams:
            _, claimed, *_ = await self.redis.xautoclaim(stream, group, self.consumer, CLAIM_IDLE_MS, "0-0", count=100)
            await self._handle(group, [(stream, entry_id, fields) for entry_id, fields in claimed], handler)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self.redis.publish(self.channel(channel), json.dumps(message, separators=(",", ":")))

    async def publish_many(self, channels: Sequence[str], message: dict[str, Any]) -> None:
        if len(channels) == 1:
            await self.publish(channels[0], message)
            return
        data = json.dumps(message, separators=(",", ":"))
        async with self.redis.pipeline(transaction=False) as pipe:
            for channel in channels:
                pipe.publish(self.channel(channel), data)
            await pipe.execute()

    async def subscribe(self, channel: str, callback: RealtimeCallback) -> None:
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(self.channel("_"))
                self._reader = asyncio.create_task(self._read_pubsub(self._pubsub))
            first = not self._channels.get(channel)
            self._channels[channel].append(callback)
            if first:
                await self._pubsub.subscribe(self.channel(channel))

    async def unsubscribe(self, channel: str, callback: RealtimeCallback) -> None:
        async with self._lock:
            callbacks = self._channels.get(channel)
            if not callbacks or callback not in callbacks:
                return
            callbacks.remove(callback)
            if not callbacks:
                del self._channels[channel]
                if self._pubsub is not None:
                    await self._pubsub.unsubscribe(self.channel(channel))

    async def _read_pubsub(self, pubsub: PubSub) -> None:
        skip = len(self.prefix) + 4
        while not self._closing:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                name = message["channel"][skip:]
                data = json.loads(message["data"])
                for callback in list(self._channels.get(name, ())):
                    try:
                        await callback(name, data)
                    except Exception:
                        log.exception("realtime callback failed on %s", name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pub/sub reader failed; retrying")
                await asyncio.sleep(0.5)
