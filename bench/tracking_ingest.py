"""Tracking ingest on the distributed stack: a sustained rate within the product's limits, against the ceiling
of a bare endpoint built like the product's fast path.

    .venv/bin/python bench/tracking_ingest.py [--rate 6000] [--seconds 60] [--warmup 15] [--events 20]

The gateway and tracking processes of the distributed mode (ports 8400-8401, fresh PostgreSQL database, a
Redis of their own configured as shipped: AOF, `appendfsync everysec`), that Redis, the PostgreSQL backends of
the bench database and the bare server run pinned to CPU 1; the load generator runs on CPU 0. Everything runs
as the product ships it: the default rate limits (per client address, per visitor, per site), the robot pace
check, `TRACKING_NICE` 0 (`--tracking-nice` to try another), the demo site. The gateway is told to believe
`X-Forwarded-For` from 127.0.0.1 (`TRUSTED_PROXIES`: a load balancer in front), so each visitor comes from an
address of its own.

1. bare: a pure ASGI app (as `TrackIngestFastPath` is) that reads the body, parses the batch and checks its
   events with the same functions and answers the same JSON; closed loop, `--connections` keep-alive sockets:
   the events/s the endpoint's own work allows on the core.
2. load: `--rate` page views/s offered in batches of `--events`, spread over enough visitors that each sends
   one batch every `--period` seconds (at most 20 page views in 10 s: not a robot, far within the per-visitor
   and per-address limits), each from its own public address. A visitor's next batch leaves `--period` after
   its last one was sent, so a slow answer never squeezes a visitor's batches together. A warm-up, then the
   window (at least 60 s), then 2 s more of the same load.
   accepted = page views in the 202 answers to the batches sent in the window; stored = those of them in the
   database 2 s after the window closed (the load still running); sustained_events_per_s = stored / window.
3. live: during the window, `--probes` more visitors (each listed by a first page view before it) each send one
   page view a second; each is timed from the request until an operator socket shows it: the gateway's
   `visitor.moves` or tracking's `visitor.updated`, whichever is first (`live_p99_ms`); the stored record's
   `visitor.updated` is timed too (`stored_live_p99_ms`).
After the load it waits until every accepted page view is stored, and says if any is missing.
Last line: sustained_events_per_s accepted stored live_p99_ms ratio (= sustained / the bare endpoint's events/s)
stored_live_p99_ms.
"""

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.redis_server import RedisServer  # noqa: E402
from scripts.stack import PG_ADMIN_DSN, Stack  # noqa: E402

LOAD_CPU, STACK_CPU = 0, 1
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PORT_OFFSET = 400
BARE_PORT = 8390
GRACE_SECONDS = 2.0
TICKS = os.sysconf("SC_CLK_TCK")


# --- the bare ceiling --------------------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """The fast path's own work and nothing else: body, batch, event checks, the 202 answer."""
    from fastapi import Request
    from fastapi.responses import JSONResponse
    from starlette.types import Receive, Scope, Send

    from services.common.db import utcnow
    from services.common.errors import known_error_response
    from services.common.observability import MetricsMiddleware
    from services.common.runner import server_config
    from services.common.settings import Settings
    from services.common.track_events import Accepted, check_events, read_batch, read_body

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        try:
            batch = read_batch(await read_body(Request(scope, receive)))
            valid, rejected = check_events(batch.events, utcnow())
            answer = Accepted(accepted=len(valid), rejected=rejected)
            response = JSONResponse(answer.model_dump(mode="json"), status_code=202)
        except Exception as exc:
            known = known_error_response(exc)
            if known is None:
                raise
            response = known
        await response(scope, receive, send)

    import secrets

    import uvicorn

    settings = Settings(fw_mode="distributed", jwt_secret=secrets.token_hex(32), internal_secret=secrets.token_hex(32))
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    app: Any = MetricsMiddleware(endpoint, service="bare")  # the fast path's place: inside the metrics middleware
    uvicorn.Server(server_config(app, settings, port, "127.0.0.1")).run()


# --- HTTP/1.1 over keep-alive sockets, with pre-built requests ---------------------------------------


def request_bytes(path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return int(head[9:12]), await reader.readexactly(length)


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                if self.streams is None:
                    self.streams = await asyncio.open_connection("127.0.0.1", self.port)
                reader, writer = self.streams
                writer.write(request)
                return await read_response(reader)
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def pageview_batch(base: str, tag: str, serial: int, events: int) -> bytes:
    batch = [
        {
            "type": "pageview",
            "page_id": f"{tag}{serial:09d}e{i:03d}",
            "url": f"{base}/demo/informatica/item-{(serial + i) % 500}?ref=bench",
            "title": f"Item {(serial + i) % 500}",
            "referrer": f"{base}/demo/",
        }
        for i in range(events)
    ]
    return json.dumps({"events": batch}, separators=(",", ":")).encode()


def public_addresses(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        candidate = ipaddress.IPv4Address(rng.getrandbits(32))
        if candidate.is_global:
            found.add(str(candidate))
    return sorted(found)


# --- phase 1: the bare endpoint --------------------------------------------------------------------------


async def bare_ceiling(args: argparse.Namespace, base: str, seconds: float = 10.0) -> float:
    host = f"127.0.0.1:{BARE_PORT}"
    headers = {"Content-Type": "text/plain", "Authorization": "Bearer x", "Origin": base, "User-Agent": BROWSER_UA}
    requests = [request_bytes("/", host, pageview_batch(base, "b", n, args.events), headers) for n in range(500)]
    counts = Counter[str]()

    async def worker(index: int, until: float) -> None:
        connection = Connection(BARE_PORT)
        n = index
        while time.perf_counter() < until:
            status, _ = await connection.send(requests[n % len(requests)])
            counts["ok" if status == 202 else "refused"] += 1
            n += args.connections
        connection.close()

    for span in (2.0, seconds):  # a warm-up, then the measure
        counts.clear()
        until = time.perf_counter() + span
        await asyncio.gather(*(worker(i, until) for i in range(args.connections)))
    if counts["refused"]:
        raise SystemExit(f"the bare server refused {counts['refused']} requests")
    return float(counts["ok"] * args.events / seconds)


# --- phase 2 and 3: the load and the live list ---------------------------------------------------------


@dataclass
class Visitor:
    token: str
    ip: str


@dataclass
class Tally:
    accepted: Counter[str] = field(default_factory=Counter)  # page views in 202 answers, by phase tag
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (phase, status): requests
    accept_ms: list[float] = field(default_factory=list)  # answer times of the window's requests
    live_ms: list[float] = field(default_factory=list)  # a probe's page view until first shown
    stored_ms: list[float] = field(default_factory=list)  # ... until its stored record is shown
    arrival_ms: list[float] = field(default_factory=list)  # a probe's first page view until listed


async def open_visitors(base: str, addresses: list[str]) -> list[Visitor]:
    """A widget session per visitor, each from its own address (as the load balancer reports it)."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        gate = asyncio.Semaphore(32)

        async def one(ip: str) -> Visitor:
            headers = {"origin": base, "user-agent": BROWSER_UA, "x-forwarded-for": ip}
            for attempt in range(3):  # a kept-alive connection the server closed as we sent: again, as a widget would
                try:
                    async with gate:
                        answer = await client.post(
                            "/api/v1/widget/session", json={"site_key": "demo-shop"}, headers=headers
                        )
                    break
                except httpx.TransportError:
                    if attempt == 2:
                        raise
            answer.raise_for_status()
            return Visitor(answer.json()["visitor_token"], ip)

        return list(await asyncio.gather(*(one(ip) for ip in addresses)))


class Load:
    """Open loop: every visitor sends a batch every `period` seconds, through a pool of keep-alive sockets."""

    def __init__(self, args: argparse.Namespace, stack: Stack, visitors: list[Visitor], tally: Tally) -> None:
        self.args = args
        self.base = stack.gateway_url
        self.host = self.base.removeprefix("http://")
        self.port = stack.port("gateway")
        self.visitors = visitors
        self.tally = tally
        self.pool: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(args.connections):
            self.pool.put_nowait(Connection(self.port))
        self.serial = 0
        self.tag = "u"  # the phase: u (warm-up), w (window), g (grace)
        self.stopping = False
        self.stopped = asyncio.Event()  # set with `stopping`: the visitors' waits end at once

    def request(self, visitor: Visitor) -> tuple[str, bytes]:
        self.serial += 1
        headers = {
            "Content-Type": "text/plain",
            "Authorization": f"Bearer {visitor.token}",
            "Origin": self.base,
            "User-Agent": BROWSER_UA,
            "X-Forwarded-For": visitor.ip,
        }
        body = pageview_batch(self.base, self.tag, self.serial, self.args.events)
        return self.tag, request_bytes("/api/v1/track/events", self.host, body, headers)

    async def visitor_loop(self, visitor: Visitor, offset: float) -> None:
        await asyncio.sleep(offset)
        while not self.stopping:
            connection = await self.pool.get()
            tag, request = self.request(visitor)
            sent = time.perf_counter()
            try:
                status, body = await connection.send(request)
            finally:
                self.pool.put_nowait(connection)
            answered = time.perf_counter()
            self.tally.statuses[(tag, status)] += 1
            if status == 202:
                self.tally.accepted[tag] += json.loads(body)["accepted"]
            if tag == "w":
                self.tally.accept_ms.append((answered - sent) * 1000)
            # The next batch `period` after this one left, and never sooner than `period` after it was
            # answered: however the gateway queues, a visitor's batches arrive `period` apart or more.
            pause = max(sent + self.args.period, answered + self.args.period * 0.9) - time.perf_counter()
            with contextlib.suppress(TimeoutError):  # ends early when the load stops: storage alone starts then
                await asyncio.wait_for(self.stopped.wait(), max(0.0, pause))

    async def run(self, window: "Window") -> None:
        period = self.args.period
        loops = [
            asyncio.create_task(self.visitor_loop(v, i * period / len(self.visitors)))
            for i, v in enumerate(self.visitors)
        ]
        await asyncio.sleep(self.args.warmup)
        self.tag = "w"
        window.begin()
        await asyncio.sleep(self.args.seconds)
        self.tag = "g"
        window.end()
        await asyncio.sleep(GRACE_SECONDS)
        window.stored = await count_pages(window.database, "w")
        self.stopping = True
        self.stopped.set()
        await asyncio.gather(*loops)
        while not self.pool.empty():
            self.pool.get_nowait().close()


ARRIVE_SECONDS = 5.0  # a probe's first page view, before the window: it is on the live list when timed


async def live_probes(stack: Stack, probes: list[Visitor], seconds: float, tally: Tally) -> None:
    """Each probe visitor arrives (`ARRIVE_SECONDS` before the window), then sends one page view a second, timed
    until the operator socket shows it: `visitor.moves` (the gateway's, as it accepts it) or `visitor.updated`
    (tracking's stored record), whichever comes first; the stored record is timed on its own too."""
    base = stack.gateway_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": "olga@demo.example", "password": "floorwalker"})
        access = login.json()["access_token"]
    shown: dict[str, float] = {}  # url -> when it was sent, until first shown
    storing: dict[str, float] = {}  # url -> when it was sent, until its stored record is shown
    arriving: dict[str, float] = {}
    async with connect(f"{base.replace('http', 'ws')}/ws/operator", origin=base, max_size=2**22) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "auth", "token": access}))
        if json.loads(await ws.recv())["type"] != "auth.ok":
            raise SystemExit("the operator socket refused the token")

        async def watch() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind not in ("visitor.moves", "visitor.updated"):
                    continue
                now = time.perf_counter()
                urls = [m["current_url"] for m in frame["moves"]] if kind == "visitor.moves" else []
                url = frame["visitor"]["current_url"] if kind == "visitor.updated" else ""
                for started in [shown.pop(u, None) for u in [*urls, url]]:
                    if started is not None:
                        tally.live_ms.append((now - started) * 1000)
                if kind == "visitor.updated":
                    for pending, into in ((storing, tally.stored_ms), (arriving, tally.arrival_ms)):
                        started = pending.pop(url, None)
                        if started is not None:
                            into.append((now - started) * 1000)

        async def probe(index: int, visitor: Visitor) -> None:
            connection = Connection(stack.port("gateway"))
            host = base.removeprefix("http://")
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {visitor.token}",
                "Origin": base,
                "User-Agent": BROWSER_UA,
                "X-Forwarded-For": visitor.ip,
            }

            async def view(url: str, title: str, *into: dict[str, float]) -> None:
                body = json.dumps({"events": [{"type": "pageview", "url": url, "title": title}]}).encode()
                for pending in into:
                    pending[url] = time.perf_counter()
                status, answer = await connection.send(request_bytes("/api/v1/track/events", host, body, headers))
                tally.statuses[("p", status)] += 1
                if status == 202:
                    tally.accepted["p"] += json.loads(answer)["accepted"]

            await view(f"{base}/demo/tv/live-{index}-arrival", "arrival", arriving)
            await asyncio.sleep(ARRIVE_SECONDS + index / len(probes))
            started = time.perf_counter()
            for n in range(int(seconds)):
                await asyncio.sleep(max(0.0, started + n - time.perf_counter()))
                await view(f"{base}/demo/tv/live-{index}-{n}", f"live {n}", shown, storing)
            connection.close()

        watcher = asyncio.create_task(watch())
        await asyncio.gather(*(probe(i, v) for i, v in enumerate(probes)))
        await asyncio.sleep(1.0)  # the last ones' frames
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    tally.live_ms.extend([float("inf")] * len(shown))  # never shown: counted as the worst
    tally.stored_ms.extend([float("inf")] * len(storing))  # (superseded by the next page before it was stored)
    tally.arrival_ms.extend([float("inf")] * len(arriving))


# --- the database, the CPUs ------------------------------------------------------------------------------


def dsn(database: str) -> str:
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"


async def count_pages(database: str, tag: str | None = None) -> int:
    conn = await asyncpg.connect(dsn(database))
    try:
        if tag is None:
            return int(await conn.fetchval("SELECT count(*) FROM page_views"))
        return int(await conn.fetchval("SELECT count(*) FROM page_views WHERE page_key LIKE $1", f"{tag}%"))
    finally:
        await conn.close()


async def robots(database: str) -> int:
    conn = await asyncpg.connect(dsn(database))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM visitors WHERE is_robot"))
    finally:
        await conn.close()


async def until_stored(database: str, rows: int, seconds: float = 180) -> int:
    deadline = time.perf_counter() + seconds
    while True:
        found = await count_pages(database)
        if found >= rows or time.perf_counter() > deadline:
            return found
        await asyncio.sleep(1.0)


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends connected to `database` (their process title names it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and f" {database} " in title:
                found.append(int(entry))
    return found


def pin(pids: list[int], cpus: set[int]) -> None:
    for pid in pids:
        tasks = os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []
        for task in tasks:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), cpus)


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def core_busy_seconds(cpu: int) -> float:
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                values = [int(v) for v in line.split()[1:]]
                return (sum(values) - values[3] - values[4]) / TICKS  # all but idle and iowait
    return 0.0


class Pinner:
    """Keeps the stack on its core: the bench database's backends come and go with the pools."""

    def __init__(self, stack: Stack, redis: RedisServer) -> None:
        self.stack = stack
        self.redis = redis
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def pids(self) -> dict[str, list[int]]:
        return {
            "gateway": [self.stack.processes["gateway"].pid],
            "tracking": [self.stack.processes["tracking"].pid],
            "redis": [self.redis.pid] if self.redis.pid else [],
            "postgres": postgres_backends(self.stack.database),
        }

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            pin([pid for pids in self.pids().values() for pid in pids], {STACK_CPU})

    def __enter__(self) -> "Pinner":
        pin([pid for pids in self.pids().values() for pid in pids], {STACK_CPU})
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        pin(postgres_backends(self.stack.database), set(range(os.cpu_count() or 1)))


@dataclass
class Window:
    database: str
    pinner: Pinner
    started: float = 0.0
    seconds: float = 0.0
    stored: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    core: float = 0.0

    def _sample(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.pinner.pids().items()}

    def begin(self) -> None:
        self.started = time.perf_counter()
        self.cpu = self._sample()
        self.core = core_busy_seconds(STACK_CPU)

    def end(self) -> None:
        self.seconds = time.perf_counter() - self.started
        after = self._sample()
        self.cpu = {name: after[name] - self.cpu.get(name, 0.0) for name in after}
        self.core = core_busy_seconds(STACK_CPU) - self.core


# --- the run -----------------------------------------------------------------------------------------------


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def wait_for_demo_site(base: str) -> None:
    """Until tracking knows the demo site (the gateway's `site.created` reached it)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": "admin@demo.example", "password": "floorwalker"})
        headers = {"authorization": f"Bearer {login.json()['access_token']}"}
        site_id = (await client.get("/api/v1/sites", headers=headers)).json()["sites"][0]["id"]
        for _ in range(300):
            if (await client.get(f"/api/v1/track/settings/{site_id}", headers=headers)).status_code == 200:
                return
            await asyncio.sleep(0.1)
    raise SystemExit("tracking never heard of the demo site")


async def measure(
    args: argparse.Namespace, stack: Stack, window: Window, drain: Window, tally: Tally
) -> tuple[int, int]:
    await wait_for_demo_site(stack.gateway_url)
    count = max(1, round(args.rate * args.period / args.events))
    addresses = public_addresses(count + args.probes, seed=7)
    visitors = await open_visitors(stack.gateway_url, addresses)
    load = Load(args, stack, visitors[: -args.probes or None], tally)

    async def probes_in_window() -> None:
        await asyncio.sleep(max(0.0, args.warmup - ARRIVE_SECONDS))
        await live_probes(stack, visitors[-args.probes :], args.seconds, tally)

    await asyncio.gather(load.run(window), probes_in_window())
    accepted_all = sum(tally.accepted.values())
    # Storage alone: what was accepted and not stored yet, written with the gateway idle.
    drain.stored = -await count_pages(stack.database)
    drain.begin()
    stored = await until_stored(stack.database, accepted_all)
    drain.end()
    drain.stored += stored
    return accepted_all, stored


def report(
    args: argparse.Namespace,
    bare: float,
    window: Window,
    drain: Window,
    tally: Tally,
    totals: tuple[int, int],
    robots_: int,
) -> None:
    accepted, stored = tally.accepted["w"], window.stored
    sustained = stored / window.seconds
    refused = {f"{status}": n for (tag, status), n in tally.statuses.items() if tag == "w" and status != 202}
    live = [v for v in tally.live_ms if v != float("inf")]
    print(
        f"bare    : {bare:.0f} page views/s parsed ({bare / args.events:.0f} requests of {args.events}, {args.connections} connections)"
    )
    sent = sum(n for (tag, _), n in tally.statuses.items() if tag == "w")
    print(
        f"offered : {args.rate:.0f} page views/s: {sent / window.seconds:.0f} requests/s sent in the {window.seconds:.1f} s"
        f" window, {args.events} page views each, one every {args.period:.0f} s per visitor"
    )
    print(
        f"window  : accepted {accepted}, stored {stored} within {GRACE_SECONDS:.0f} s of the window's end; refused {refused or 'none'}"
    )
    print(
        f"answers : p50 {percentile(tally.accept_ms, 0.5):.1f} ms, p99 {percentile(tally.accept_ms, 0.99):.1f} ms "
        f"(202 from the gateway, the window's requests)"
    )
    print(
        f"live    : {len(tally.live_ms)} probe page views, p50 {statistics.median(live) if live else float('nan'):.1f} ms,"
        f" p99 {percentile(tally.live_ms, 0.99):.1f} ms, never shown {len(tally.live_ms) - len(live)}"
    )
    stored_live = [v for v in tally.stored_ms if v != float("inf")]
    print(
        f"stored  : the same page views' stored records (visitor.updated), p50"
        f" {statistics.median(stored_live) if stored_live else float('nan'):.1f} ms,"
        f" p99 {percentile(tally.stored_ms, 0.99):.1f} ms, never shown {len(tally.stored_ms) - len(stored_live)}"
        f" (the next page stored first); arrivals: p50 {percentile(tally.arrival_ms, 0.5):.1f} ms,"
        f" max {max(tally.arrival_ms, default=float('nan')):.1f} ms"
    )
    print(f"after   : accepted in all {totals[0]}, stored {totals[1]} once the load stopped; robots flagged {robots_}")
    if drain.stored and drain.seconds:
        per_event = ", ".join(
            f"{name} {seconds / drain.stored * 1e6:.0f} us" for name, seconds in drain.cpu.items() if name != "gateway"
        )
        print(
            f"storage : alone after the load, {drain.stored} page views in {drain.seconds:.1f} s ="
            f" {drain.stored / drain.seconds:.0f}/s; CPU per page view: {per_event}"
        )
    window_requests = sum(n for (tag, _), n in tally.statuses.items() if tag == "w")
    if window_requests:
        print(
            f"gateway : {window.cpu.get('gateway', 0.0) / window_requests * 1000:.2f} ms CPU per request in the window"
        )
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in window.cpu.items())
    others = window.core - sum(window.cpu.values())
    print(f"cpu {STACK_CPU}   : busy {window.core:.1f} s of {window.seconds:.1f} s: {cpu}; others on it {others:.1f} s")
    print(
        f"sustained_events_per_s={sustained:.0f} accepted={accepted} stored={stored} "
        f"live_p99_ms={percentile(tally.live_ms, 0.99):.1f} ratio={sustained / bare:.3f} "
        f"stored_live_p99_ms={percentile(tally.stored_ms, 0.99):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=6000.0, help="page views/s offered")
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window (at least 60 for a figure)")
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--events", type=int, default=20, help="page views per request (the widget sends at most 20)")
    parser.add_argument("--period", type=float, default=12.0, help="seconds between a visitor's batches")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--probes", type=int, default=10, help="visitors timed to the live list")
    parser.add_argument("--tracking-nice", type=int, default=None, help="TRACKING_NICE (default: the product's, 0)")
    parser.add_argument("--serve-bare", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.seconds < 60:
        print(f"note: a {args.seconds:.0f} s window is shorter than the 60 s the figure needs", file=sys.stderr)
    gc.disable()  # the load generator's own pauses would count against the servers
    os.sched_setaffinity(0, {LOAD_CPU})
    bare_server = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(BARE_PORT)], cwd=ROOT)
    try:
        pin([bare_server.pid], {STACK_CPU})
        wait_for_port(BARE_PORT)
        bare = asyncio.run(bare_ceiling(args, f"http://127.0.0.1:{8000 + PORT_OFFSET}"))
    finally:
        bare_server.terminate()
        bare_server.wait(10)
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="fw-ingest-redis-") as redis_dir, RedisServer(Path(redis_dir)) as redis:
        stack = Stack(
            database=f"fw_ingest_{tag}",
            port_offset=PORT_OFFSET,
            redis_url=redis.url,
            redis_prefix=f"fwingest-{tag}",
            state_dir=ROOT / ".stack" / f"ingest-{tag}",
            services=("gateway", "tracking"),
            extra_env={
                "TRUSTED_PROXIES": "127.0.0.1",  # a load balancer in front: each visitor's own address counts
                "LOG_LEVEL": "WARNING",
                "METRICS_PORT": "0",
                **({} if args.tracking_nice is None else {"TRACKING_NICE": str(args.tracking_nice)}),
            },
        )
        tally = Tally()
        try:
            with stack:
                with Pinner(stack, redis) as pinner:
                    window, drain = Window(stack.database, pinner), Window(stack.database, pinner)
                    totals = asyncio.run(measure(args, stack, window, drain, tally))
                    flagged = asyncio.run(robots(stack.database))
        finally:
            asyncio.run(stack.drop_data())
    report(args, bare, window, drain, tally, totals, flagged)


if __name__ == "__main__":
    main()
