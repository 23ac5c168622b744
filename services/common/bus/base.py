from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from services.common.events import Event

EventHandler = Callable[[Event], Awaitable[None]]
RealtimeCallback = Callable[[str, dict[str, Any]], Awaitable[None]]
GapListener = Callable[[], Awaitable[None]]


class SharedFrame(dict[str, Any]):
    """A frame a bus hands, as this one object, to the listeners of each of its channels (`publish_many`): a
    listener may write it out once for all of them (the gateway's hub does). Only buses make these."""


class BatchEventHandler(ABC):
    """An event handler that can also take several events in one go (say, one transaction for them all).

    Pass one to `EventBus.consume` like any handler: the bus then hands it the events it read together
    (in stream order per type). If a batch fails, the bus hands its events over again one at a time, so
    one bad event does not hold up the others; handlers must be idempotent per event id anyway.
    """

    linger: float = 0.0
    """Seconds the Redis bus waits after a batch before reading again, so that the next batch is bigger
    (fewer transactions for a consumer that is not on anyone's latency path)."""

    @abstractmethod
    async def handle_batch(self, events: Sequence[Event]) -> None: ...

    async def __call__(self, event: Event) -> None:
        await self.handle_batch([event])


class EventBus(ABC):
    """Durable events (at least once, per consumer group) plus lossy realtime channels."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def publish_event(self, event: Event) -> None:
        """Returns once the event is durably handed over (Redis) or handled by every group (memory)."""

    @abstractmethod
    async def publish_events(self, events: Sequence[Event]) -> None:
        """`publish_event` for many events in order, in one go (one Redis round trip).

        If it raises, any of them may have been published: publishing them again is safe (consumers
        are idempotent per event id).
        """

    async def backlog(self, event_type: str, group: str) -> int | None:
        """How many events of `event_type` the consumer group has not yet handled (the memory bus handles
        them before `publish_event` returns: none); None while the group does not exist (its consumer has
        not started yet, or Redis came back empty and the consumer has not recreated it yet)."""
        return 0

    @abstractmethod
    async def consume(self, group: str, types: list[str], handler: EventHandler) -> None:
        """Deliver events of `types` to `handler`, once per group; a failing handler gets them again.

        A `BatchEventHandler` gets the events read together in one call.
        """

    @abstractmethod
    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Realtime fan-out to whoever listens now; may be lost."""

    async def publish_many(self, channels: Sequence[str], message: dict[str, Any]) -> None:
        """`publish` of one message on several channels (the Redis bus: one PUBLISH for them all)."""
        shared = SharedFrame(message)
        for channel in channels:
            await self.publish(channel, shared)

    async def publish_each(self, messages: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """`publish` of each (channel, message), in order (the Redis bus: one round trip for them all)."""
        for channel, message in messages:
            await self.publish(channel, message)

    @abstractmethod
    async def subscribe(self, channel: str, callback: RealtimeCallback) -> None: ...

    def on_realtime_gap(self, listener: GapListener) -> None:
        """Call `listener` each time the realtime subscriptions were re-established after the connection
        carrying them was lost: whatever was published on them meanwhile is gone, so whoever relays the
        frames tells its clients to resync. The memory bus never loses a subscription: never called."""
        return None

    @abstractmethod
    async def unsubscribe(self, channel: str, callback: RealtimeCallback) -> None: ...
