"""Fan-out of bus channels to the sockets connected to this gateway process.

One bus subscription per channel per process; each socket has its own bounded outgoing queue
and writer, so one slow client never holds up the others. When the bus had to subscribe again (its
connection to Redis was lost: Redis restarted or failed over), the frames of the gap are gone: every
socket gets `{"type": "resync", "reason": "realtime_gap"}` and resumes its conversations by sequence number.
"""

import asyncio
import contextlib
import json
import logging
from typing import Any

from starlette.websockets import WebSocket

from services.common.bus import EventBus

log = logging.getLogger("floorwalker.gateway.hub")
QUEUE_LIMIT = 1000
RESYNC_FRAME = json.dumps({"type": "resync", "reason": "realtime_gap"}, separators=(",", ":"))


class SocketClient:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def push_text(self, text: str) -> None:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    def push(self, frame: dict[str, Any]) -> None:
        self.push_text(json.dumps(frame, separators=(",", ":")))

    async def write_loop(self) -> None:
        """Send queued frames until told to stop; a client that cannot keep up is closed (it resyncs)."""
        while True:
            text = await self.queue.get()
            if text is None:
                if self.overflowed:
                    await self.websocket.close(code=1013, reason="client too slow; reconnect and resume")
                return
            await self.websocket.send_text(text)

    def stop(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class Hub:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.channels: dict[str, set[SocketClient]] = {}
        self._lock = asyncio.Lock()
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

    async def _deliver(self, channel: str, frame: dict[str, Any]) -> None:
        members = self.channels.get(channel)
        if not members:
            return
        text = json.dumps(frame, separators=(",", ":"))
        for client in list(members):
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
