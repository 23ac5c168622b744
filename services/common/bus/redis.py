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
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError

from services.common.bus.base import (
    BatchEventHandler,
    EventBus,
    EventHandler,
    GapListener,
    RealtimeCallback,
    SharedFrame,
)
from services.common.events import Event

log = logging.getLogger("floorwalker.bus")

STREAM_MAXLEN = 200_000
BLOCK_MS = 1000
CLAIM_IDLE_MS = 30_000
PENDING_RETRY_SECONDS = 1.0  # a consumer reads its own unacknowledged entries again this long after a failure
RESUBSCRIBE_PAUSE = 0.2  # seconds between attempts to subscribe again while Redis is away
# One message on several channels goes out once, on this channel every subscriber listens to, as the channels'
# names (space-separated), a newline, then the JSON: a subscriber reads the names, and parses and delivers the
# frame only if it listens to one of them. A chat waiting in a queue of 60 operators is one PUBLISH, read once
# by each gateway, instead of 60 of each.
MULTICAST = "_many"
Entry = tuple[str, str, dict[str, str] | None]  # stream, entry id, fields


def _missing_group(exc: ResponseError) -> bool:
    return str(exc).startswith("NOGROUP")


class RedisBus(EventBus):
    """Redis Streams (one stream per event type, a consumer group per service) and pub/sub.

    It outlives Redis restarts and failovers: a consumer whose group is gone (Redis came back empty)
    creates it again and reads the stream from its start; the pub/sub connection, when lost, is opened
    again with every channel, and the `on_realtime_gap` listeners are told.
    """

    def __init__(self, url: str, prefix: str = "fw") -> None:
        self.url = url
        self.prefix = prefix
        # A command (or pipeline) whose pooled connection broke is sent once more on a new one: after Redis
        # restarted, the first use of each idle connection fails so. Sending twice is harmless here (XADD of
        # events, PUBLISH of frames, reads: consumers and clients drop what they have).
        self.redis: Redis = Redis.from_url(url, decode_responses=True, retry=Retry(NoBackoff(), 1))
        # Pub/sub has a client of its own that never reconnects by itself: re-subscribing silently would lose
        # the frames of the gap without anyone knowing (`_resubscribe` does it and says so).
        self._subscriber: Redis = Redis.from_url(url, decode_responses=True, retry=Retry(NoBackoff(), 0))
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._channels: dict[str, list[RealtimeCallback]] = defaultdict(list)
        self._gap_listeners: list[GapListener] = []
        self._lost = False  # the pub/sub connection failed: subscribe everything again
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
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        await self._subscriber.aclose()
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

    async def backlog(self, event_type: str, group: str) -> int | None:
        """Entries the group has not read yet plus those read and not acknowledged; None while the group
        (or its stream) does not exist: nobody would read what is added now until the consumer (re)creates
        it, and Redis may just have come back empty.

        A stream keeps its last `STREAM_MAXLEN` entries, read or not: a producer that must not lose events
        stops while the backlog nears that."""
        try:
            groups: list[dict[str, Any]] = await self.redis.xinfo_groups(self.stream(event_type))
        except ResponseError:  # no such stream
            return None
        for found in groups:
            if found["name"] == group:
                unread = found.get("lag")
                if unread is None:  # Redis cannot tell after some trims: count the whole stream
                    unread = await self.redis.xlen(self.stream(event_type))
                return int(unread) + int(found["pending"])
        return None

    async def consume(self, group: str, types: list[str], handler: EventHandler) -> None:
        streams = [self.stream(t) for t in types]
        await self._create_groups(group, streams)
        self._tasks.append(asyncio.create_task(self._consume_loop(group, streams, handler)))

    async def _create_groups(self, group: str, streams: list[str]) -> None:
        """The group on each stream (and the stream), reading from the start; those that exist stay as they are."""
        for stream in streams:
            try:
                await self.redis.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _consume_loop(self, group: str, streams: list[str], handler: EventHandler) -> None:
        """First our own pending entries (left by a previous run of this consumer), then new ones. After a
        failure (a handler's, or Redis going away between a read and its XACK) our own pending entries are
        read again `PENDING_RETRY_SECONDS` later: a database that was away for a moment must not hold them
        up until `CLAIM_IDLE_MS` has passed."""
        cursor = dict.fromkeys(streams, "0")
        loop = asyncio.get_running_loop()
        next_claim = loop.time()
        retry_pending: float | None = None
        linger = handler.linger if isinstance(handler, BatchEventHandler) else 0.0
        while not self._closing:
            try:
                if loop.time() >= next_claim:
                    await self._claim_stale(group, streams, handler)
                    next_claim = loop.time() + CLAIM_IDLE_MS / 2000
                if retry_pending is not None and loop.time() >= retry_pending:
                    retry_pending = None
                    cursor = dict.fromkeys(streams, "0")
                batches: Any = await self.redis.xreadgroup(
                    group, self.consumer, cast(Any, cursor), count=100, block=BLOCK_MS
                )
                entries = [(stream, entry_id, fields) for stream, got in batches or [] for entry_id, fields in got]
                if not await self._handle(group, entries, handler) and retry_pending is None:
                    retry_pending = loop.time() + PENDING_RETRY_SECONDS
                for stream, got in batches or []:
                    if cursor[stream] != ">":
                        cursor[stream] = got[-1][0] if got else ">"
                if linger and entries:
                    await asyncio.sleep(linger)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if not _missing_group(exc):
                    log.exception("consumer %s failed; retrying", group)
                    await asyncio.sleep(1)
                    continue
                # Redis lost the group (restarted without its data, or failed over to an empty node): make it
                # again and read each stream from its start; what we had read and not acknowledged is gone.
                log.warning("consumer group %s is missing; creating it again", group)
                try:
                    await self._create_groups(group, streams)
                except Exception:
                    log.exception("consumer group %s could not be created; retrying", group)
                    await asyncio.sleep(1)
                cursor = dict.fromkeys(streams, "0")
            except Exception:
                log.exception("consumer %s failed; retrying", group)
                await asyncio.sleep(1)
                cursor = dict.fromkeys(streams, "0")  # what we read before the failure may be unacknowledged

    async def _handle(self, group: str, entries: list[Entry], handler: EventHandler) -> bool:
        """Handle entries read together (all at once for a `BatchEventHandler`) and acknowledge those handled.

        An entry whose handler fails stays pending: read again by this consumer (`_consume_loop`), or claimed
        by another after `CLAIM_IDLE_MS`. Returns False if a handler failed.
        """
        done: dict[str, list[str]] = defaultdict(list)
        failed = False
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
                failed = True
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
        return not failed

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
        if not channels:
            return
        data = json.dumps(message, separators=(",", ":"))
        named = [channel for channel in channels if not any(c.isspace() for c in channel)]
        odd = [channel for channel in channels if channel not in named]  # cannot be listed: a PUBLISH each
        async with self.redis.pipeline(transaction=False) as pipe:
            if named:
                pipe.publish(self.channel(MULTICAST), " ".join(named) + "\n" + data)
            for channel in odd:
                pipe.publish(self.channel(channel), data)
            await pipe.execute()

    async def publish_each(self, messages: Sequence[tuple[str, dict[str, Any]]]) -> None:
        if len(messages) <= 1:
            for channel, message in messages:
                await self.publish(channel, message)
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(self.channel(channel), json.dumps(message, separators=(",", ":")))
            await pipe.execute()

    def on_realtime_gap(self, listener: GapListener) -> None:
        self._gap_listeners.append(listener)

    async def subscribe(self, channel: str, callback: RealtimeCallback) -> None:
        """Listen on `channel`. While Redis is away the channel is remembered, and subscribed with the
        others once the connection is back (then the gap listeners are told)."""
        async with self._lock:
            first = not self._channels.get(channel)
            self._channels[channel].append(callback)
            if self._pubsub is None:
                self._pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
                try:
                    await self._pubsub.subscribe(self.channel("_"), self.channel(MULTICAST), self.channel(channel))
                except Exception:
                    log.warning("pub/sub: could not subscribe to %s now; will retry", channel, exc_info=True)
                    self._lost = True
                self._reader = asyncio.create_task(self._read_pubsub())
                return
            if first and not self._lost:
                try:
                    await self._pubsub.subscribe(self.channel(channel))
                except Exception:
                    log.warning("pub/sub: could not subscribe to %s now; will retry", channel, exc_info=True)
                    self._lost = True

    async def unsubscribe(self, channel: str, callback: RealtimeCallback) -> None:
        async with self._lock:
            callbacks = self._channels.get(channel)
            if not callbacks or callback not in callbacks:
                return
            callbacks.remove(callback)
            if not callbacks:
                del self._channels[channel]
                if self._pubsub is not None and not self._lost:
                    try:
                        await self._pubsub.unsubscribe(self.channel(channel))
                    except Exception:
                        log.warning("pub/sub: could not unsubscribe from %s now", channel, exc_info=True)
                        self._lost = True

    async def _read_pubsub(self) -> None:
        skip = len(self.prefix) + 4
        while not self._closing:
            if self._lost:
                await self._resubscribe()
                continue
            pubsub = self._pubsub
            assert pubsub is not None
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("pub/sub connection lost; subscribing again", exc_info=True)
                self._lost = True
                continue
            if message is None or message.get("type") != "message":
                continue
            name, text = message["channel"][skip:], message["data"]
            names = [name]
            if name == MULTICAST:
                head, _, text = text.partition("\n")
                names = [one for one in head.split(" ") if one in self._channels]
                if not names:
                    continue
            try:
                data = json.loads(text)
                if len(names) > 1:
                    data = SharedFrame(data)
            except ValueError:
                log.warning("pub/sub: a frame on %s is not JSON", " ".join(names))
                continue
            for name in names:
                for callback in list(self._channels.get(name, ())):
                    try:
                        await callback(name, data)
                    except Exception:
                        log.exception("realtime callback failed on %s", name)

    async def _resubscribe(self) -> None:
        """A new pub/sub connection with every channel, then the gap listeners (frames of the gap are gone)."""
        while not self._closing:
            async with self._lock:
                old, self._pubsub = self._pubsub, self._subscriber.pubsub(ignore_subscribe_messages=True)
                if old is not None:
                    with contextlib.suppress(Exception):
                        await old.aclose()
                try:
                    names = ("_", MULTICAST, *self._channels)
                    await self._pubsub.subscribe(*(self.channel(name) for name in names))
                except Exception:
                    log.info("pub/sub: Redis is not back yet", exc_info=True)
                else:
                    self._lost = False
                    break
            await asyncio.sleep(RESUBSCRIBE_PAUSE)
        if self._closing:
            return
        log.warning("pub/sub subscribed again to %d channels; frames of the gap are lost", len(self._channels))
        for listener in list(self._gap_listeners):
            try:
                await listener()
            except Exception:
                log.exception("realtime gap listener failed")
