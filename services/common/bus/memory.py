import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from services.common.bus.base import BatchEventHandler, EventBus, EventHandler, RealtimeCallback
from services.common.events import Event

log = logging.getLogger("floorwalker.bus")


class MemoryBus(EventBus):
    """In-process bus for the embedded mode.

    `publish_event` runs every group's handler before returning and raises if one fails, so the
    outbox row stays and is published again: at-least-once, like the Redis bus. `publish_events` gives
    a `BatchEventHandler` all the events of its types in one call.
    """

    def __init__(self) -> None:
        self._groups: dict[str, list[tuple[frozenset[str], EventHandler]]] = defaultdict(list)
        self._channels: dict[str, list[RealtimeCallback]] = defaultdict(list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish_event(self, event: Event) -> None:
        for _group, entries in list(self._groups.items()):
            for types, handler in entries:
                if event.type in types:
                    await handler(event)

    async def publish_events(self, events: Sequence[Event]) -> None:
        for _group, entries in list(self._groups.items()):
            for types, handler in entries:
                wanted = [event for event in events if event.type in types]
                if isinstance(handler, BatchEventHandler) and len(wanted) > 1:
                    try:
                        await handler.handle_batch(wanted)
                        continue
                    except Exception:
                        log.warning("a batch of %d events failed; handling them one by one", len(wanted), exc_info=True)
                for event in wanted:
                    await handler(event)

    async def consume(self, group: str, types: list[str], handler: EventHandler) -> None:
        self._groups[group].append((frozenset(types), handler))

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for callback in list(self._channels.get(channel, ())):
            try:
                await callback(channel, message)
            except Exception:
                log.exception("realtime callback failed on %s", channel)

    async def subscribe(self, channel: str, callback: RealtimeCallback) -> None:
        self._channels[channel].append(callback)

    async def unsubscribe(self, channel: str, callback: RealtimeCallback) -> None:
        callbacks = self._channels.get(channel)
        if callbacks and callback in callbacks:
            callbacks.remove(callback)
            if not callbacks:
                del self._channels[channel]
