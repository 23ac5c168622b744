"""The event bus: durable domain events and realtime fan-out, behind one interface.

`RedisBus` (distributed): Redis Streams with a consumer group per consuming service, and pub/sub.
`MemoryBus` (embedded): the same contract inside one process.
"""

from services.common.bus.base import BatchEventHandler, EventBus, EventHandler, GapListener, RealtimeCallback
from services.common.bus.memory import MemoryBus
from services.common.bus.redis import RedisBus
from services.common.settings import Settings


def bus_from_settings(settings: Settings) -> EventBus:
    if settings.redis_url:
        return RedisBus(settings.redis_url, prefix=settings.redis_prefix)
    if settings.fw_mode == "distributed":
        raise RuntimeError("REDIS_URL must be set in the distributed mode")
    return MemoryBus()


__all__ = [
    "BatchEventHandler",
    "EventBus",
    "EventHandler",
    "GapListener",
    "MemoryBus",
    "RealtimeCallback",
    "RedisBus",
    "bus_from_settings",
]
