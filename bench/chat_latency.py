"""Chat latency on the distributed stack: visitor socket -> operator socket, against bare Redis pub/sub.

    .venv/bin/python bench/chat_latency.py [--visitors 50] [--operators 4] [--rate 100] [--seconds 20]

Starts the distributed mode (one process per service, PostgreSQL, Redis) on ports 8300-8304 with a
fresh database, opens N visitor sockets (each with a conversation) and M operator sockets, sends
messages from the visitors at a fixed total rate and times each delivery to every operator socket.
In the same run, after the stack has stopped, it times at the same rate a bare Redis PUBLISH -> subscriber
round trip, and the same load through the peer of `peer_relay.py`: a two-node Socket.IO relay through its Redis
adapter that persists nothing (ports 8310-8311, or the next free ones; `npm ci` in bench/socketio_peer first
if its node_modules is missing).
Last line: p50_ms p99_ms redis_p50_ms redis_p99_ms ratio (= p99_ms / redis_p99_ms) peer_p99_ms peer_ratio
(= p99_ms / peer_p99_ms).
"""

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peer_relay import Relay, free_ports, peer_run  # noqa: E402
from scripts.stack import DEFAULT_REDIS, Stack  # noqa: E402

# A widget session from an HTTP library would be taken for a robot (no chat): speak as a browser.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
OPERATORS = ("olga@demo.example", "ivan@demo.example")
PASSWORD = "floorwalker"
PORT_OFFSET = 300
PEER_FIRST_PORT = 8010 + PORT_OFFSET


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends connected to `database` (their title names it)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                pids.append(int(entry))
    return pids


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


def redis_server() -> int | None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "redis-server":
                        return int(entry)
            except OSError:
                continue
    return None


class CpuMeter:
    """CPU seconds per process of the stack, PostgreSQL's backends of its database, Redis, this load generator,
    and everything else on the machine (other work makes the figures noisy)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.start: dict[str, float] = {}
        self.used: dict[str, float] = {}
        self.redis_pid = redis_server()

    def sample(self) -> dict[str, float]:
        values = {name: cpu_seconds(p.pid) for name, p in self.stack.processes.items()}
        values["postgres"] = sum(cpu_seconds(pid) for pid in postgres_backends(self.stack.database))
        values["redis"] = cpu_seconds(self.redis_pid) if self.redis_pid else 0.0
        values["loadgen"] = cpu_seconds(os.getpid())
        values["machine"] = machine_busy_seconds()
        return values

    def begin(self) -> None:
        self.start = self.sample()

    def end(self) -> None:
        self.used = {name: value - self.start.get(name, 0.0) for name, value in self.sample().items()}
        self.used["other"] = self.used.pop("machine") - sum(self.used.values())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def open_socket(base: str, path: str, token: str) -> ClientConnection:
    """A socket authenticated by its first frame (a token never goes in the URL)."""
    ws = await connect(base.replace("http", "ws", 1) + path, origin=base)  # type: ignore[arg-type]
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await ws.recv())
    if reply.get("type") != "auth.ok":
        raise SystemExit(f"{path} refused the token: {reply}")
    return ws


async def open_visitors(base: str, count: int) -> list[tuple[ClientConnection, str]]:
    visitors = []
    async with httpx.AsyncClient(
        base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=30
    ) as client:
        for _ in range(count):
            session = (await client.post("/api/v1/widget/session", json={"site_key": "demo-shop"})).json()
            headers = {"authorization": f"Bearer {session['visitor_token']}"}
            conversation = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
            ws = await open_socket(base, "/ws/visitor", session["visitor_token"])
            visitors.append((ws, conversation["id"]))
    return visitors


async def open_operators(base: str, count: int) -> list[ClientConnection]:
    sockets = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i in range(count):
            tokens = (
                await client.post("/api/v1/auth/login", json={"email": OPERATORS[i % 2], "password": PASSWORD})
            ).json()
            sockets.append(await open_socket(base, "/ws/operator", tokens["access_token"]))
    return sockets


async def chat_run(
    base: str, visitors: int, operators: int, rate: float, seconds: float, meter: CpuMeter
) -> list[tuple[float, float]]:
    """(second of the run the message was sent in, latency in ms) of every delivery."""
    visitor_sockets = await open_visitors(base, visitors)
    operator_sockets = await open_operators(base, operators)
    sent: dict[str, float] = {}
    latencies: list[tuple[float, float]] = []
    total = int(rate * seconds)
    all_delivered = asyncio.Event()
    start = 0.0

    errors: dict[str, int] = {}  # frames other than deliveries and acks, and sockets closed early, by kind

    def noted(what: str) -> None:
        errors[what] = errors.get(what, 0) + 1

    async def receive(ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "message.created":
                    started = sent.get(frame["message"]["client_msg_id"])
                    if started is not None:
                        latencies.append((started - start, (time.perf_counter() - started) * 1000))
                        if len(latencies) >= total * operators:
                            all_delivered.set()
                elif frame["type"] != "message.ack":
                    noted(f"operator {frame['type']} {frame.get('code', '')}".strip())
        noted(f"operator socket closed {ws.close_code} {ws.close_reason or ''}".strip())

    async def drain(ws: ClientConnection) -> None:
        """A visitor's frames: those other than deliveries and acks are counted."""
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] not in ("message.created", "message.ack"):
                    noted(f"visitor {frame['type']} {frame.get('code', '')}".strip())
        noted(f"visitor socket closed {ws.close_code} {ws.close_reason or ''}".strip())

    readers = [asyncio.create_task(receive(ws)) for ws in operator_sockets]
    readers += [asyncio.create_task(drain(ws)) for ws, _ in visitor_sockets]
    await asyncio.sleep(1)
    meter.begin()
    start = time.perf_counter()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        ws, conversation_id = visitor_sockets[n % len(visitor_sockets)]
        client_msg_id = uuid.uuid4().hex
        sent[client_msg_id] = time.perf_counter()
        await ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "conversation_id": conversation_id,
                    "client_msg_id": client_msg_id,
                    "text": f"m{n}",
                }
            )
        )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_delivered.wait(), 10)
    meter.end()
    for task in readers:
        task.cancel()
    for ws in operator_sockets + [ws for ws, _ in visitor_sockets]:
        await ws.close()
    if len(latencies) < total * operators:
        raise SystemExit(
            f"only {len(latencies)} of {total * operators} deliveries arrived within 10 s;"
            f" other frames and early closes: {errors or 'none'}"
        )
    return latencies


async def redis_run(rate: float, seconds: float) -> list[float]:
    publisher = Redis.from_url(DEFAULT_REDIS)
    subscriber = Redis.from_url(DEFAULT_REDIS)
    channel = f"fwbench:{uuid.uuid4().hex}"
    pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    latencies: list[float] = []
    sent: dict[str, float] = {}
    total = int(rate * seconds)

    async def receive() -> None:
        while len(latencies) < total:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message:
                key = json.loads(message["data"])["id"]
                latencies.append((time.perf_counter() - sent[key]) * 1000)

    reader = asyncio.create_task(receive())
    start = time.perf_counter()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        key = uuid.uuid4().hex
        sent[key] = time.perf_counter()
        await publisher.publish(channel, json.dumps({"id": key, "text": f"m{n}"}))
    await asyncio.wait_for(reader, 10)
    await pubsub.aclose()
    await publisher.aclose()
    await subscriber.aclose()
    return latencies


def summary(values: list[float]) -> dict[str, Any]:
    return {"p50": statistics.median(values), "p99": percentile(values, 0.99), "max": max(values)}


def timeline(deliveries: list[tuple[float, float]]) -> None:
    """p50, p99 and max of the messages sent in each second of the run: shows when stalls happened."""
    seconds: dict[int, list[float]] = {}
    for at, latency in deliveries:
        seconds.setdefault(int(at), []).append(latency)
    for second, values in sorted(seconds.items()):
        s = summary(values)
        print(f"  second {second:3d}: p50 {s['p50']:6.2f} ms, p99 {s['p99']:7.2f} ms, max {s['max']:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--operators", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second, all visitors together")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timeline", action="store_true", help="also print the latencies of each second")
    parser.add_argument(
        "--pin",
        choices=["none", "loadgen", "split"],
        default="none",
        help="loadgen: the load generator runs on the last core only; split: and the stack on the other cores",
    )
    args = parser.parse_args()
    gc.disable()  # the load generator's own collections would show up as latency; its memory is bounded
    tag = uuid.uuid4().hex[:8]
    stack = Stack(
        database=f"fw_bench_{tag}",
        port_offset=PORT_OFFSET,
        redis_prefix=f"fwbench-{tag}",
        state_dir=ROOT / ".stack" / f"bench-{tag}",
    )
    meter = CpuMeter(stack)
    cores = sorted(os.sched_getaffinity(0))
    pin = args.pin if len(cores) > 1 else "none"
    if pin == "split":
        os.sched_setaffinity(0, cores[:-1])  # the stack's processes inherit this when they start
    try:
        with stack:
            if pin != "none":
                os.sched_setaffinity(0, cores[-1:])
            deliveries = asyncio.run(
                chat_run(stack.gateway_url, args.visitors, args.operators, args.rate, args.seconds, meter)
            )
    finally:
        os.sched_setaffinity(0, cores)
        asyncio.run(stack.drop_data())
    redis = asyncio.run(redis_run(args.rate, args.seconds))
    with Relay(DEFAULT_REDIS, free_ports(PEER_FIRST_PORT, 2)) as relay:
        used = {pid: cpu_seconds(pid) for pid in relay.pids}
        peer = asyncio.run(peer_run(relay, args.visitors, args.operators, args.rate, args.seconds))
        used = {pid: cpu_seconds(pid) - before for pid, before in used.items()}
    if args.timeline:
        timeline(deliveries)
    chat = [latency for _, latency in deliveries]
    c, r = summary(chat), summary(redis)
    print(f"chat : {len(chat)} deliveries, p50 {c['p50']:.2f} ms, p99 {c['p99']:.2f} ms, max {c['max']:.2f} ms")
    per_thousand = 1000 / int(args.rate * args.seconds)
    cpu = ", ".join(f"{name} {used * per_thousand:.2f}" for name, used in meter.used.items())
    print(f"cpu s per 1,000 messages: {cpu}")
    print(f"redis: {len(redis)} deliveries, p50 {r['p50']:.3f} ms, p99 {r['p99']:.3f} ms, max {r['max']:.3f} ms")
    p = summary(peer)
    nodes = ", ".join(f"node {i + 1} {seconds * per_thousand:.2f}" for i, seconds in enumerate(used.values()))
    print(f"peer : {len(peer)} deliveries, p50 {p['p50']:.2f} ms, p99 {p['p99']:.2f} ms, max {p['max']:.2f} ms")
    print(f"peer cpu s per 1,000 messages (start-up included): {nodes}")
    print(
        f"p50_ms={c['p50']:.2f} p99_ms={c['p99']:.2f} redis_p50_ms={r['p50']:.3f} redis_p99_ms={r['p99']:.3f}"
        f" ratio={c['p99'] / r['p99']:.1f} peer_p99_ms={p['p99']:.2f} peer_ratio={c['p99'] / p['p99']:.1f}"
    )


if __name__ == "__main__":
    main()
