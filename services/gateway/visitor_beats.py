"""The visitor sockets this gateway process holds, reported to chat: a waiting chat's visitor is there.

Chat shows a waiting chat as "visitor left" when no gateway has reported a socket of its visitor for
`VISITOR_LEFT_AFTER_SECONDS`, and closes it as abandoned later (`services/chat/routing/visitors.py`). Each
gateway reports a visitor when their first socket opens, then every `PRESENCE_HEARTBEAT_SECONDS` all the visitors
it holds, one call per account (at most `CHUNK` visitors each, on behalf of one of them: chat checks nothing
more, the route is internal).
"""

import asyncio
import contextlib
import logging

from services.common.tokens import Identity
from services.gateway.proxy import ServiceClients

log = logging.getLogger("floorwalker.gateway.visitor_beats")
SEEN = "/internal/v1/conversations/visitors-seen"
CHUNK = 1000


class VisitorBeats:
    def __init__(self, clients: ServiceClients, interval: float) -> None:
        self.clients = clients
        self.interval = interval
        self._held: dict[tuple[str, str], tuple[Identity, int]] = {}  # (account, visitor) -> identity, sockets
        self._task: asyncio.Task[None] | None = None
        self._first: set[asyncio.Task[None]] = set()

    def join(self, identity: Identity) -> None:
        key = (identity.account_id, identity.visitor_id or "")
        _, count = self._held.get(key, (identity, 0))
        self._held[key] = (identity, count + 1)
        if count == 0:
            first = asyncio.create_task(self._report(identity, [key[1]]))
            self._first.add(first)
            first.add_done_callback(self._first.discard)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def leave(self, identity: Identity) -> None:
        key = (identity.account_id, identity.visitor_id or "")
        _, count = self._held.get(key, (identity, 1))
        if count <= 1:
            self._held.pop(key, None)
        else:
            self._held[key] = (identity, count - 1)

    async def _report(self, caller: Identity, visitor_ids: list[str]) -> None:
        try:
            response = await self.clients.call("POST", SEEN, caller, json={"visitor_ids": visitor_ids})
            if response.status_code >= 400:
                log.warning("visitor sockets report refused: %s", response.status_code)
        except Exception:  # chat away: the next beat tells it
            log.warning("visitor sockets report failed", exc_info=True)

    async def beat(self) -> None:
        """Report every visitor held, by account."""
        by_account: dict[str, tuple[Identity, list[str]]] = {}
        for (account_id, visitor_id), (identity, _) in list(self._held.items()):
            by_account.setdefault(account_id, (identity, []))[1].append(visitor_id)
        for caller, visitor_ids in by_account.values():
            for start in range(0, len(visitor_ids), CHUNK):
                await self._report(caller, visitor_ids[start : start + CHUNK])

    async def _run(self) -> None:
        while self._held:
            await asyncio.sleep(self.interval)
            await self.beat()

    async def stop(self) -> None:
        for task in [*self._first, self._task]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
