"""The operator consoles this gateway process holds, reported to chat as presence heartbeats.

Chat turns an operator offline when no gateway has reported a console of theirs for `PRESENCE_GRACE_SECONDS`
(`services/chat/presence.py`): a socket that dropped without a goodbye, or a gateway that died with its
sockets. Each gateway reports the operators it holds sockets of when one opens, then every
`PRESENCE_HEARTBEAT_SECONDS`; with several replicas each reports its own, and chat's database joins them.
"""

import asyncio
import contextlib
import logging

from services.common.tokens import Identity
from services.gateway.proxy import ServiceClients

log = logging.getLogger("floorwalker.gateway.consoles")
HEARTBEAT = "/internal/v1/presence/heartbeat"


class ConsoleBeats:
    def __init__(self, clients: ServiceClients, interval: float) -> None:
        self.clients = clients
        self.interval = interval
        self._held: dict[tuple[str, str], tuple[Identity, int]] = {}  # (account, user) -> identity, sockets
        self._task: asyncio.Task[None] | None = None
        self._first: set[asyncio.Task[None]] = set()  # the first beat of a console that opened

    def join(self, identity: Identity) -> None:
        key = (identity.account_id, identity.user_id or "")
        _, count = self._held.get(key, (identity, 0))
        self._held[key] = (identity, count + 1)
        if count == 0:
            first = asyncio.create_task(self._beat(identity))
            self._first.add(first)
            first.add_done_callback(self._first.discard)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def leave(self, identity: Identity) -> None:
        key = (identity.account_id, identity.user_id or "")
        _, count = self._held.get(key, (identity, 1))
        if count <= 1:
            self._held.pop(key, None)
        else:
            self._held[key] = (identity, count - 1)

    async def _beat(self, identity: Identity) -> None:
        try:
            response = await self.clients.call("POST", HEARTBEAT, identity)
            if response.status_code >= 400:
                log.warning("presence heartbeat refused: %s", response.status_code)
        except Exception:  # chat away: the next beat tells it
            log.warning("presence heartbeat failed", exc_info=True)

    async def _run(self) -> None:
        while self._held:
            await asyncio.sleep(self.interval)
            for identity, _ in list(self._held.values()):
                await self._beat(identity)

    async def stop(self) -> None:
        for task in [*self._first, self._task]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
