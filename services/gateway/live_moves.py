"""`visitor.moves`: the live list follows visitors' navigation as soon as the gateway accepts their page views.

Distributed, tracking stores the accepted batches behind the 202 (`track.batch`, many batches a transaction) and
then publishes the visitor's whole record (`visitor.updated`): under load that is a step or two of the consumer
later, seconds on a full core. So the gateway also publishes, on the account's channel where `visitor.updated`
goes, the one thing an operator watches move: the visitor's newest page of the batch (its URL, title and time) and
how many pages it adds; the moves of `FLUSH_SECONDS` go out together, one frame per account (a publish and a
fan-out per batch cost the gateway a quarter more CPU per request at 250 requests a second). The console moves a visitor it already lists and keeps everything else of the row until the
stored record follows (same or later `last_seen_at`: it replaces the row; an older record no longer moves the
visitor back). A visitor the console does not list (new, or a robot kept off the list) waits for the stored record.
Losing a `visitor.moves` is harmless: the record follows. Embedded, tracking stores the batch before the answer and
its record is published then: no move is sent.
"""

import asyncio
import logging
import weakref
from datetime import datetime
from typing import Any

from services.common.bus import EventBus
from services.common.tokens import Identity
from services.common.track_events import CheckedEvent, PageviewEvent

log = logging.getLogger("floorwalker.gateway.track")
FLUSH_SECONDS = 0.02


def move_of(visitor: Identity, valid: list[CheckedEvent]) -> dict[str, Any] | None:
    """One visitor's move of `visitor.moves`: a batch's checked events' newest page view, or None without one."""
    newest: tuple[datetime, PageviewEvent] | None = None
    pages = 0
    for _, event, at in valid:
        if isinstance(event, PageviewEvent):
            pages += 1
            if newest is None or at >= newest[0]:
                newest = (at, event)
    if newest is None:
        return None
    at, page = newest
    return {
        "visitor_id": visitor.visitor_id,
        "site_id": visitor.site_id,
        "current_url": page.url,
        "current_title": page.title,
        "page_started_at": at.isoformat(),
        "last_seen_at": at.isoformat(),
        "pages_added": pages,
    }


class LiveMoves:
    """The moves accepted in the last `FLUSH_SECONDS`, by account, published together (one per gateway bus)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, account_id: str, move: dict[str, Any]) -> None:
        self._pending.setdefault(account_id, []).append(move)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._send)

    def _send(self) -> None:
        self._flush, pending, self._pending = None, self._pending, {}
        task = asyncio.create_task(self._publish(pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, pending: dict[str, list[dict[str, Any]]]) -> None:
        frames = [
            (f"account:{account}", {"type": "visitor.moves", "moves": moves}) for account, moves in pending.items()
        ]
        try:
            await self.bus.publish_each(frames)
        except Exception:  # lost: the stored records follow
            log.warning("visitor.moves not published for %d accounts", len(frames), exc_info=True)


_by_bus: "weakref.WeakKeyDictionary[EventBus, LiveMoves]" = weakref.WeakKeyDictionary()


def announce_move(bus: EventBus, visitor: Identity, valid: list[CheckedEvent]) -> None:
    """The batch's move, to go out with the others of the next `FLUSH_SECONDS` (none without a page view)."""
    move = move_of(visitor, valid)
    if move is None:
        return
    moves = _by_bus.get(bus)
    if moves is None:
        moves = _by_bus[bus] = LiveMoves(bus)
    moves.add(visitor.account_id, move)
