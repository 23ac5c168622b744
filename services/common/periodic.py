"""A service's background loop: one task per process, started and stopped with the service."""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from services.common.service import ServiceRuntime

log = logging.getLogger("floorwalker.periodic")


class Periodic(ABC):
    """Runs `tick(runtime)` every `interval` seconds from `start` (an `on_start` hook) until `stop` (`on_stop`);
    a tick that fails is logged and the next one comes as usual."""

    interval: float = 1.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def start(self, runtime: ServiceRuntime) -> None:
        self._task = asyncio.create_task(self._run(runtime))

    async def stop(self, runtime: ServiceRuntime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @abstractmethod
    async def tick(self, runtime: ServiceRuntime) -> None: ...

    async def _run(self, runtime: ServiceRuntime) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick(runtime)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("%s failed; retrying", type(self).__name__, exc_info=True)
