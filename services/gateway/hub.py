"""Fan-out of bus channels to the sockets connected to this gateway process.

One bus subscription per channel per process; each socket has its own bounded outgoing queue
and writer, so one slow client never holds up the others. When the bus had to subscribe again (its
connection to Redis was lost: Redis restarted or failed over), the frames of the gap are gone: every
socket gets `{"type": "resync", "reason": "realtime_gap"}` and resumes its conversations by sequence number.

Who gets what (SEC-2): an operator's socket joins `account:<account>` (the live visitors, presence, queue
summaries…), `operator:<account>:<user>` (the conversations they are in) and `operators:<account>` (waiting chats
any operator may take); a supervisor's or admin's joins `account:<account>` only, where chat publishes every
frame of every conversation. The conversation frames of `account:` (`conversation.*`, `message.*`) are given to
managers' sockets only (`for_managers`): an operator gets a conversation's frames from their own channels.
"""

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket

from services.common.bus import EventBus
from services.common.bus.base import SharedFrame
from services.common.tokens import Identity

log = logging.getLogger("floorwalker.gateway.hub")
QUEUE_LIMIT = 1000
TRY_AGAIN_LATER = 1013
SLOW_REASON = "client too slow; reconnect and resume"
CLOSE_SECONDS = 5.0  # for the frames queued before a close, and for the close itself
RESYNC_FRAME = json.dumps({"type": "resync", "reason": "realtime_gap"}, separators=(",", ":"))
# Called once per process for each frame of its type relayed to sockets here (before they get it).
FrameWatcher = Callable[[str, dict[str, Any], set["SocketClient"]], Awaitable[None]]
MANAGERS = ("supervisor", "admin")
MANAGERS_ONLY = ("conversation.", "message.")  # frame types of `account:` that only managers' sockets get


def operator_channels(identity: Identity) -> tuple[str, ...]:
    """The channels a user's socket joins: a manager's, the account's; an operator's, also their own two."""
    account = f"account:{identity.account_id}"
    if identity.role in MANAGERS:
        return (account,)
    return (account, f"operator:{identity.account_id}:{identity.user_id}", f"operators:{identity.account_id}")


EVERYONES = frozenset({"conversation.removed"})  # an erased visitor's conversation is gone: its id, nothing more


def for_managers(channel: str, frame: dict[str, Any]) -> bool:
    """A conversation's frame on the account's channel: for managers' sockets only."""
    kind = str(frame.get("type", ""))
    return channel.startswith("account:") and kind.startswith(MANAGERS_ONLY) and kind not in EVERYONES


def is_manager(client: "SocketClient") -> bool:
    return client.identity is not None and client.identity.role in MANAGERS


class SocketClient:
    """One socket's outgoing frames, sent in order by a writer task that exists only while there are frames to
    send: an idle socket holds neither a task nor a queue (most visitor sockets are idle for hours).

    At most `QUEUE_LIMIT` frames wait; one more means the client cannot keep up: its frames are dropped and it
    is closed with 1013 (it reconnects and resumes by sequence number)."""

    __slots__ = ("_closing", "_frames", "_stopped", "_writer", "gone", "identity", "overflowed", "websocket")

    def __init__(self, websocket: WebSocket, identity: Identity | None = None) -> None:
        self.websocket = websocket
        self.identity = identity  # who is on the socket
        self.overflowed = False
        self.gone = False  # a send failed: the client is not there any more
        self._frames: deque[str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._stopped = False  # no frame is queued any more (closing, or the socket is gone)
        self._closing: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        return len(self._frames) if self._frames else 0

    def room(self) -> int:
        """How many more frames may be queued before the client counts as too slow."""
        return QUEUE_LIMIT - self.queued

    def push_text(self, text: str) -> None:
        if self._stopped:
            return
        frames = self._frames
        if frames is None:
            frames = self._frames = deque()
        elif len(frames) >= QUEUE_LIMIT:
            self.overflowed = True
            self.close_soon(TRY_AGAIN_LATER, SLOW_REASON, drain=False)
            return
        frames.append(text)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())

    def push(self, frame: dict[str, Any]) -> None:
        self.push_text(json.dumps(frame, separators=(",", ":")))

    async def _write(self) -> None:
        try:
            while self._frames:
                await self.websocket.send_text(self._frames.popleft())
        except Exception:  # the socket is gone: nobody to send the rest to
            self._stopped = self.gone = True
        finally:
            self._writer = None
            if not self._frames:
                self._frames = None

    async def drain(self, within: float) -> None:
        """Wait (at most `within` seconds) until the frames queued so far are sent."""
        writer = self._writer
        if writer is not None:
            await asyncio.wait({writer}, timeout=within)

    def stop(self) -> None:
        """Queue nothing more."""
        self._stopped = True

    async def close(self, code: int, reason: str, *, drain: bool = True) -> None:
        """Close the socket after the frames already queued (unless `drain` is False); never wait for ever."""
        self.stop()
        if drain:
            await self.drain(CLOSE_SECONDS)
        else:
            self.discard()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_SECONDS):
                await self.websocket.close(code=code, reason=reason)

    def close_soon(self, code: int, reason: str, *, drain: bool = True) -> None:
        """`close` from code that cannot wait (a timer, the hub's delivery); the first such close wins."""
        if self._closing is None:
            self._closing = asyncio.create_task(self.close(code, reason, drain=drain))

    def discard(self) -> None:
        """Drop what is queued and stop the writer (the socket is finished)."""
        self._stopped = True
        self._frames = None
        if self._writer is not None and self._writer is not asyncio.current_task():
            self._writer.cancel()


class Hub:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.channels: dict[str, set[SocketClient]] = {}
        self.watchers: dict[str, FrameWatcher] = {}
        self._lock = asyncio.Lock()
        self._shared: tuple[SharedFrame | None, str] = (None, "")  # the last frame of several channels, as text
        bus.on_realtime_gap(self.resync)

    async def join(self, channel: str, client: SocketClient) -> None:
        async with self._lock:
            members = self.channels.get(channel)
            if members is None:
                self.channels[channel] = members = set()
                await self.bus.subscribe(channel, self._deliver)
            members.add(client)

    async def leave(self, channel: str, client: SocketClient) -> None:
        async with self._lock:
            members = self.channels.get(channel)
            if members is None:
                return
            members.discard(client)
            if not members:
                del self.channels[channel]
                await self.bus.unsubscribe(channel, self._deliver)

    def watch(self, frame_type: str, watcher: FrameWatcher) -> None:
        """Let `watcher` see each frame of `frame_type` this process relays, with the sockets it goes to."""
        self.watchers[frame_type] = watcher

    async def _deliver(self, channel: str, frame: dict[str, Any]) -> None:
        members = self.channels.get(channel)
        if not members:
            return
        watcher = self.watchers.get(frame.get("type", ""))
        if watcher is not None:
            try:
                await watcher(channel, frame, members)
            except Exception:
                log.exception("watching a %s frame on %s failed", frame.get("type"), channel)
        if watcher is None and isinstance(frame, SharedFrame) and frame is self._shared[0]:  # on another channel
            text = self._shared[1]
        else:
            text = json.dumps(frame, separators=(",", ":"))
            if isinstance(frame, SharedFrame):
                self._shared = (frame, text)
        managers_only = for_managers(channel, frame)
        for client in list(members):
            if not managers_only or is_manager(client):
                client.push_text(text)

    async def resync(self) -> None:
        """Tell every socket of this process that it may have missed frames (each once, whatever its channels)."""
        clients = {client for members in self.channels.values() for client in members}
        if clients:
            log.warning("realtime gap: telling %d sockets to resync", len(clients))
        for client in clients:
            client.push_text(RESYNC_FRAME)

    def connection_count(self) -> int:
        return len({c for members in self.channels.values() for c in members})
