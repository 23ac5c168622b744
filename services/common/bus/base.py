from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from services.common.events import Event

EventHandler = Callable[[Event], Awaitable[None]]
RealtimeCallback = Callable[[str, dict[str, Any]], Awaitable[None]]


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
    async def consume(self, group: str, types: list[str], handler: EventHandler) -> None:
        """Deliver events of `types` to `handler`, once per group; a failing handler gets them again."""

    @abstractmethod
    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Realtime fan-out to whoever listens now; may be lost."""

    @abstractmethod
    async def subscribe(self, channel: str, callback: RealtimeCallback) -> None: ...

    @abstractmethod
    async def unsubscribe(self, channel: str, callback: RealtimeCallback) -> None: ...
