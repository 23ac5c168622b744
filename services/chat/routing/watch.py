"""Live waiting (ROUTE-4): `queue.summary` frames to the account's consoles and `conversation.position` frames
to waiting visitors, when they change.

Every frame that may change them (`realtime.WATCHED`: a conversation changed or was offered, an operator's
presence) marks its account; each replica's `QueueWatch` recomputes the marked accounts every `interval`
(`waiting.waiting_of`) and publishes what differs from what it published last: the account's summaries, and
each waiting chat's position and expected wait. The replica that made a change publishes its consequences;
every `REFRESH_SECONDS` it also recomputes the accounts it published for (opening hours and waiting times move
with the clock alone). A frame lost is harmless: the console reads `GET /api/v1/queues/summary`, the widget
`GET /api/v1/conversations/current`, when they (re)connect.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.chat.realtime import PendingFrames
from services.chat.routing.waiting import summary_rows, waiting_of
from services.common.db import utcnow
from services.common.periodic import Periodic
from services.common.service import ServiceRuntime

REFRESH_SECONDS = 30.0
MAX_ACCOUNTS = 100  # recomputed per tick (the rest waits for the next)


class QueueWatch(Periodic):
    interval = 0.5

    def __init__(self, frames: PendingFrames, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self.frames = frames
        self.clock = clock
        self._summaries: dict[str, list[dict[str, object]]] = {}  # by account: what was published last
        self._positions: dict[str, dict[str, tuple[int, int | None]]] = {}  # by account, by conversation
        self._refreshed = 0.0

    async def tick(self, runtime: ServiceRuntime) -> None:
        accounts = set(self.frames.changed)
        if time.monotonic() - self._refreshed >= REFRESH_SECONDS:
            self._refreshed = time.monotonic()
            accounts |= set(self._summaries)
        for account_id in sorted(accounts)[:MAX_ACCOUNTS]:
            self.frames.changed.discard(account_id)
            await self.publish_changes(runtime, account_id)

    async def publish_changes(self, runtime: ServiceRuntime, account_id: str) -> int:
        """Recompute one account and publish what changed; returns how many frames went out."""
        now = self.clock()
        async with runtime.db.reading() as conn:
            waiting = await waiting_of(conn, account_id, now)
        if not waiting.queues:
            self._summaries.pop(account_id, None)
            self._positions.pop(account_id, None)
            return 0
        sent = 0
        summary = summary_rows(waiting.queues)
        if summary != self._summaries.get(account_id):
            self._summaries[account_id] = summary
            body: dict[str, Any] = {"type": "queue.summary", "at": now.isoformat(), "queues": summary}
            sent += int(await self.frames.send((f"account:{account_id}",), body))
        before = self._positions.get(account_id, {})
        after: dict[str, tuple[int, int | None]] = {}
        for conversation_id, place in waiting.positions.items():
            after[conversation_id] = (place.position, place.expected_wait_seconds)
            if before.get(conversation_id) == after[conversation_id] or place.visitor_id is None:
                continue
            body = {
                "type": "conversation.position",
                "conversation_id": conversation_id,
                "queue_id": place.queue_id,
                "position": place.position,
                "expected_wait_seconds": place.expected_wait_seconds,
            }
            sent += int(await self.frames.send((f"visitor:{place.visitor_id}",), body))
        self._positions[account_id] = after
        return sent
