"""A chat participant that heals itself as the real clients must (docs/api.md; used by `chaos_chat.py`).

- One socket, reopened after any drop (0.1 s, then up to 0.5 s between attempts). Authenticates in the first
  frame (`{"type": "auth", "token": ...}` -> `auth.ok`); a server that still wants `?token=` closes such a
  socket with 1008, and the client then puts the token in the URL (and back, should that be refused).
- Every conversation it holds is a `View`: messages by seq, each shown once, in order, never past a hole.
  On every (re)connect and on `resync` it resumes each view from its highest *contiguous* seq; a frame that
  skips a seq makes it fetch the missing range at once; frames it holds are dropped.
- Sends go one at a time per conversation (so a sender's order is the stored order), each with its own
  `client_msg_id`, again with the same id after a drop, a retryable error (after `retry_after` for
  `rate_limited`) or no ack within `ACK_TIMEOUT`; a non-retryable error fails the message.
"""

import asyncio
import contextlib
import json
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ACK_TIMEOUT = 10.0  # protocol decision 5
FETCH_AGAIN = 2.0  # a fetch unanswered this long is asked again
RECONNECT_PAUSE_MAX = 0.5  # between attempts to open the socket (from 0.1 s, doubling, with jitter)
RETRY_PAUSE_MAX = 1.0  # before sending again after a retryable error (from 0.2 s, doubling)
RETRYABLE = {"service_unavailable", "rate_limited", "tracking_unavailable", "tracking_busy"}
Shown = Callable[[str, dict[str, Any], float], None]  # (participant, message, when)


@dataclass
class Outgoing:
    key: str  # client_msg_id
    conversation_id: str
    text: str
    queued_at: float
    attempts: int = 0
    next_try: float = 0.0
    sent_at: float = 0.0  # the last attempt
    acked_at: float | None = None
    seq: int | None = None
    failed: str | None = None  # the code of a non-retryable error
    errors: list[str] = field(default_factory=list)


class View:
    """One conversation as a participant shows it."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self.held: dict[int, dict[str, Any]] = {}
        self.contiguous = 0  # every seq up to this one is held (and shown)
        self.fetch_asked: float | None = None
        self.duplicates = 0  # frames dropped because the seq was held

    def take(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Hold a message; returns those that can now be shown, in order (none if it was held)."""
        seq = int(message["seq"])
        if seq in self.held:
            self.duplicates += 1
            return []
        self.held[seq] = message
        shown = []
        while self.contiguous + 1 in self.held:
            self.contiguous += 1
            shown.append(self.held[self.contiguous])
        return shown

    @property
    def has_gap(self) -> bool:
        return bool(self.held) and max(self.held) > self.contiguous


class Participant:
    def __init__(self, name: str, base: str, path: str, token: str, conversations: list[str], on_shown: Shown) -> None:
        self.name = name
        self.url = base.replace("http://", "ws://") + path
        self.origin = base
        self.token = token
        self.on_shown = on_shown
        self.views = {cid: View(cid) for cid in conversations}
        self.queues: dict[str, deque[Outgoing]] = {}
        self.ws: ClientConnection | None = None
        self.token_in_url = False
        self.connections = 0
        self.resyncs = 0
        self.errors: dict[str, int] = {}
        self._kick = asyncio.Event()
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._stopped = False
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._connection_loop()), asyncio.create_task(self._send_loop())]

    async def stop(self) -> None:
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.ws is not None:
            await self.ws.close()

    def send(self, conversation_id: str, key: str, text: str) -> Outgoing:
        outgoing = Outgoing(key=key, conversation_id=conversation_id, text=text, queued_at=time.monotonic())
        self.queues.setdefault(conversation_id, deque()).append(outgoing)
        self._kick.set()
        return outgoing

    @property
    def idle(self) -> bool:
        """Nothing left to send, and no view waiting for a missing range."""
        return not any(self.queues.values()) and not any(v.has_gap for v in self.views.values())

    def drop_socket(self) -> bool:
        """Cut the TCP connection without a close frame (a phone that lost its network)."""
        if self.ws is None:
            return False
        self.ws.transport.abort()
        return True

    # --- the socket --------------------------------------------------------------------------
    async def _connection_loop(self) -> None:
        pause = 0.1
        while not self._stopped:
            try:
                ws = await self._open()
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed):
                await asyncio.sleep(pause * random.uniform(0.8, 1.2))
                pause = min(pause * 2, RECONNECT_PAUSE_MAX)
                continue
            pause = 0.1
            self.ws = ws
            self._outbox = asyncio.Queue()
            writer = asyncio.create_task(self._write_loop(ws))
            self.connections += 1
            self._on_connected()
            try:
                async for raw in ws:
                    self._on_frame(json.loads(raw))
            except ConnectionClosed:
                pass
            finally:
                self.ws = None
                writer.cancel()
                self._on_disconnected()

    async def _open(self) -> ClientConnection:
        url = f"{self.url}?token={self.token}" if self.token_in_url else self.url
        ws = await connect(url, origin=self.origin, open_timeout=5, close_timeout=1)  # type: ignore[arg-type]
        if self.token_in_url:
            return ws
        try:
            await ws.send(json.dumps({"type": "auth", "token": self.token}))
            async with asyncio.timeout(5):
                first = json.loads(await ws.recv())
        except ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code == 1008:
                self.token_in_url = not self.token_in_url  # the server authenticates the other way
            raise
        if first.get("type") != "auth.ok":
            self._on_frame(first)
        return ws

    def _on_connected(self) -> None:
        for view in self.views.values():
            view.fetch_asked = None
            self._fetch(view)
        self._kick.set()

    def _on_disconnected(self) -> None:
        now = time.monotonic()
        for queue in self.queues.values():
            if queue and queue[0].attempts:
                queue[0].next_try = now  # unanswered: sent again on the next socket

    def _write(self, frame: dict[str, Any]) -> bool:
        """Queue a frame for the current socket, in order; False if there is none."""
        if self.ws is None:
            return False
        self._outbox.put_nowait(json.dumps(frame))
        return True

    async def _write_loop(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(await self._outbox.get())

    # --- frames ------------------------------------------------------------------------------
    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message.created":
            self._take(frame["message"])
        elif kind == "message.ack":
            self._acked(frame)
        elif kind == "error":
            self._error(frame)
        elif kind == "resync":
            self.resyncs += 1
            for view in self.views.values():
                view.fetch_asked = None
                self._fetch(view)
        elif kind == "resume.done":
            done = self.views.get(frame.get("conversation_id", ""))
            if done is not None:
                done.fetch_asked = None
                if done.has_gap:
                    self._fetch(done)

    def _take(self, message: dict[str, Any]) -> None:
        cid = message["conversation_id"]
        view = self.views.setdefault(cid, View(cid))
        now = time.monotonic()
        for shown in view.take(message):
            self.on_shown(self.name, shown, now)
        if view.has_gap:
            self._fetch(view)

    def _fetch(self, view: View) -> None:
        """Ask for everything after the highest contiguous seq (at most one question at a time)."""
        now = time.monotonic()
        if view.fetch_asked is not None and now - view.fetch_asked < FETCH_AGAIN:
            return
        frame = {"type": "resume", "conversation_id": view.conversation_id, "after_seq": view.contiguous}
        if self._write(frame):
            view.fetch_asked = now

    def _head(self, key: Any) -> Outgoing | None:
        for queue in self.queues.values():
            if queue and queue[0].key == key:
                return queue[0]
        return None

    def _acked(self, frame: dict[str, Any]) -> None:
        head = self._head(frame.get("client_msg_id"))
        if head is None:
            return
        head.acked_at = time.monotonic()
        head.seq = frame["message"]["seq"]
        self.queues[head.conversation_id].popleft()
        self._take(frame["message"])
        self._kick.set()

    def _error(self, frame: dict[str, Any]) -> None:
        code = str(frame.get("code"))
        self.errors[code] = self.errors.get(code, 0) + 1
        head = self._head(frame.get("client_msg_id"))
        if head is None:  # a resume that failed: ask again in a moment
            for view in self.views.values():
                if view.fetch_asked is not None:
                    view.fetch_asked = time.monotonic() - FETCH_AGAIN + 0.5
            return
        head.errors.append(code)
        retryable = frame.get("retryable", code in RETRYABLE)
        if not retryable:
            head.failed = code
            self.queues[head.conversation_id].popleft()
        else:
            wait = float(frame.get("retry_after") or min(0.1 * 2 ** min(head.attempts, 4), RETRY_PAUSE_MAX))
            head.next_try = time.monotonic() + wait
        self._kick.set()

    # --- sending -----------------------------------------------------------------------------
    async def _send_loop(self) -> None:
        while not self._stopped:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):
                    await self._kick.wait()
            self._kick.clear()
            now = time.monotonic()
            if self.ws is None:
                continue
            for queue in self.queues.values():
                head = queue[0] if queue else None
                if head is not None and now >= head.next_try:
                    frame = {
                        "type": "message.send",
                        "conversation_id": head.conversation_id,
                        "client_msg_id": head.key,
                        "text": head.text,
                    }
                    if self._write(frame):
                        head.attempts += 1
                        head.sent_at = now
                        head.next_try = now + ACK_TIMEOUT
            for view in self.views.values():
                if view.has_gap:
                    self._fetch(view)
