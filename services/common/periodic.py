"""A service's background loop: one task per process, started and stopped with the service."""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from services.common.service import ServiceRuntime

log = logging.getLogger("floorwalker.periodic")


def being_cancelled() -> bool:
    """Whether the current task was asked to stop: a cancellation that lands in a database or Redis call can come
    out of it as another exception, which a background loop catching `Exception` would take for a failure and
    go on, leaving whoever awaits the task waiting for ever."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Periodic(ABC):
    """Runs `tick(runtime)` every `interval` seconds from `start` (an `on_start` hook) until `stop` (`on_stop`);
    a tick that fails is logged and the next one comes as usual."""

    interval: float = 1.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self, runtime: ServiceRuntime) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(runtime))

    async def stop(self, runtime: ServiceRuntime) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @abstractmethod
    async def tick(self, runtime: ServiceRuntime) -> None: ...

    async def _run(self, runtime: ServiceRuntime) -> None:
        # The stop flag, not only the cancellation, ends the loop: a cancellation that lands in a database call
        # can come out of it as another exception (logged below), which left `stop()` waiting for ever.
        while not self._stopping and not being_cancelled():  # (a cancellation swallowed inside a tick)
            await asyncio.sleep(self.interval)
            try:
                await self.tick(runtime)
            except asyncio.CancelledError:
                raise
            except Exception:
                if being_cancelled():
                    raise asyncio.CancelledError from None
                log.warning("%s failed; retrying", type(self).__name__, exc_info=True)
