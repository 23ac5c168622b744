"""The peer of `chat_latency.py`: a two-node Socket.IO relay through its Redis adapter, persisting nothing.

What a user who only wants speed would pick. `socketio_peer/relay.js` (Socket.IO 4 with
`@socket.io/redis-adapter` on ioredis; its dependencies are installed with `npm ci` when missing) runs as two
Node processes with the same adapter key: visitors connect to the first, operators to the second, so every
delivery to an operator crosses Redis pub/sub as the stack's does. The load is the one `chat_latency.py`
puts on the stack (same sockets, same rate, same client library, the load generator's gc off), through a
minimal Socket.IO client (Engine.IO 4, WebSocket transport only) on the same `websockets` library.
"""

import asyncio
import contextlib
import json
import select
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PEER_DIR = Path(__file__).resolve().parent / "socketio_peer"


def install() -> None:
    """`npm ci` when node_modules is missing or older than the lock file."""
    marker = PEER_DIR / "node_modules" / ".package-lock.json"
    lock = PEER_DIR / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the Socket.IO peer needs Node.js 20 and npm")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER_DIR, check=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(first: int, count: int) -> list[int]:
    """`count` free ports from `first` on (the bench's own range), else any the system gives."""
    found = [port for port in range(first, first + 50) if port_is_free(port)][:count]
    while len(found) < count:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            found.append(s.getsockname()[1])
    return found


class Relay:
    """The two nodes, started on entry and stopped on exit."""

    def __init__(self, redis_url: str, ports: list[int]) -> None:
        self.redis_url = redis_url
        self.ports = ports
        self.key = f"fwpeer-{uuid.uuid4().hex[:8]}"  # the adapter's channel prefix: this run's only
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    @property
    def urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}" for port in self.ports]

    def __enter__(self) -> "Relay":
        install()
        try:
            for port in self.ports:
                self.processes.append(self._start(port))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()

    def _start(self, port: int, timeout: float = 20) -> "subprocess.Popen[bytes]":
        argv = ["node", "relay.js", str(port), self.redis_url, self.key]
        process = subprocess.Popen(argv, cwd=PEER_DIR, stdout=subprocess.PIPE)
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            readable, _, _ = select.select([process.stdout], [], [], 0.1)
            if readable and process.stdout.readline().startswith(b"ready"):
                return process
        process.kill()
        process.wait()
        raise SystemExit(f"the Socket.IO peer on {port} did not start (exit {process.returncode})")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        self.processes = []


class SocketIO:
    """A Socket.IO 4 client on one WebSocket: connect, emit (with an acknowledgement id), events."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_ack = 0

    @classmethod
    async def open(cls, url: str, query: str) -> "SocketIO":
        ws = await connect(f"{url}/socket.io/?EIO=4&transport=websocket&{query}")
        opened = await ws.recv()
        if not isinstance(opened, str) or not opened.startswith("0"):
            raise SystemExit(f"not an Engine.IO open packet: {opened!r}")
        await ws.send("40")  # connect to the main namespace
        while True:
            packet = await ws.recv()
            if packet == "2":
                await ws.send("3")
            elif isinstance(packet, str) and packet.startswith("40"):
                return cls(ws)
            else:
                raise SystemExit(f"the namespace refused the socket: {packet!r}")

    async def emit(self, event: str, data: Any) -> None:
        self.next_ack += 1
        await self.ws.send(f"42{self.next_ack}" + json.dumps([event, data]))

    async def events(self, on_event: Callable[[str, Any], None]) -> None:
        """Calls `on_event(name, data)` for every event (acknowledgements as `ack`); answers pings."""
        async for packet in self.ws:
            if not isinstance(packet, str):
                continue
            if packet == "2":
                await self.ws.send("3")
            elif packet.startswith("42"):
                event, data = json.loads(packet[2:])
                on_event(event, data)
            elif packet.startswith("43"):
                on_event("ack", json.loads(packet[2:].lstrip("0123456789"))[0])

    async def close(self) -> None:
        await self.ws.close()


async def peer_run(relay: Relay, visitors: int, operators: int, rate: float, seconds: float) -> list[float]:
    """Latency in ms of every delivery to an operator, as `chat_latency.chat_run` times the stack's."""
    visitor_node, operator_node = relay.urls
    conversations = [uuid.uuid4().hex for _ in range(visitors)]
    visitor_sockets = [await SocketIO.open(visitor_node, f"conversation={cid}") for cid in conversations]
    operator_sockets = [await SocketIO.open(operator_node, "role=operator") for _ in range(operators)]
    sent: dict[str, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    all_delivered = asyncio.Event()

    def on_operator_event(event: str, frame: Any) -> None:
        if event == "message.created":
            started = sent.get(frame["message"]["client_msg_id"])
            if started is not None:
                latencies.append((time.perf_counter() - started) * 1000)
                if len(latencies) >= total * operators:
                    all_delivered.set()

    readers = [asyncio.create_task(s.events(on_operator_event)) for s in operator_sockets]
    readers += [asyncio.create_task(s.events(lambda event, data: None)) for s in visitor_sockets]
    await asyncio.sleep(1)
    start = time.perf_counter()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        client = visitor_sockets[n % len(visitor_sockets)]
        client_msg_id = uuid.uuid4().hex
        sent[client_msg_id] = time.perf_counter()
        frame = {"conversation_id": conversations[n % visitors], "client_msg_id": client_msg_id, "text": f"m{n}"}
        await client.emit("message.send", frame)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_delivered.wait(), 10)
    for task in readers:
        task.cancel()
    for client in operator_sockets + visitor_sockets:
        await client.close()
    if len(latencies) < total * operators:
        raise SystemExit(f"the peer delivered only {len(latencies)} of {total * operators}")
    return latencies
