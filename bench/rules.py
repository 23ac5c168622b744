"""Rules in real time on the distributed stack (issue 12): many live visitors with their sockets open, a site with
many rules, a stream of page views; how fast the rules evaluate, how soon an invitation reaches the visitor.

    .venv/bin/python bench/rules.py [--visitors 10000] [--rules 200] [--seconds 30] [--rate 400] [--probes 200]

Every service its own process (`scripts/stack.py`, ports 8770-8774, a fresh PostgreSQL database and Redis
prefix), the demo site with its sections, one operator online. The gateway believes `X-Forwarded-For` from
127.0.0.1 (`TRUSTED_PROXIES`: a load balancer in front), so each visitor comes from an address of its own and the
per-address limits stay as shipped.

1. rules: `--rules` rules on the demo site. Two probes first in order (never true by accident): `trigger`
   (the page `/demo/ofertas/bench-trigger-*`: fires on that page view) and `timer` (the page
   `/demo/ofertas/bench-timer-*` stayed on for `--timer-seconds`: fires by the timer store, no page view). The
   others are plausible rules (a section of the demo shop and a time, pages, country, device, attributes, a URL
   regex, operators, an OR, a NOT... as in `bench/rules_engine.py`), each ending in a condition no visitor
   meets, so that they are evaluated in full and never fire.
2. sockets: the gateway's resident memory, then `--visitors` visitor sockets opened (tokens signed here with
   the stack's secret) and idle, then its resident memory again: MB per 1,000 idle visitor sockets.
3. warm-up: every visitor views one page (all of them live in the rules' visitor store); the load starts once the
   rules evaluated them all (their metrics), so that no backlog of the warm-up is timed or counted.
4. load, `--seconds`: `--rate` page views/s from random visitors (random sections and products of the demo
   shop, at most one page every 2 s per visitor), and `--probes` trigger and `--probes` timer page views from
   visitors of their own, spread over the window. A trigger is timed from the moment its request is sent (once
   one of the bench's `SEND_CONCURRENCY` connections is free) to the invitation frame on the visitor's socket; a timer from its page view's time plus `--timer-seconds`
   (its due time) to the frame (how late it fired).
   evals_per_s: rule evaluations (one rule's condition tree tested against one visitor's state,
   `fw_rules_evaluations_total`; the rules that the site's section index rules out for the visitor's section are
   not tested and not counted) per CPU second of the rules process during the window, all of its work included
   (reading the events, counting the page views in PostgreSQL, the visitor store and timers in Redis, segments,
   the outbox): the rate one core allows. Also printed: visitor evaluations (one visitor against all the
   site's rules) per CPU second, and how many rules a visitor was tested against on average.
Last line: evals_per_s p50_ms p99_ms timer_late_ms sockets_per_gb (as key=value; timer_late_ms is the p99;
sockets_per_gb: idle visitor sockets per GB of the gateway's resident memory, 1 GB = 2^30 bytes).
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.idle_sockets import settled_rss  # noqa: E402
from bench.rules_engine import rule_json  # noqa: E402
from scripts.stack import Stack  # noqa: E402
from services.common.ids import new_id  # noqa: E402
from services.common.tokens import Identity, visitor_token  # noqa: E402
from services.gateway.demo.catalogue import SECTIONS  # noqa: E402
from services.gateway.demo.seed import DEMO_ADMIN, DEMO_PASSWORD, demo_tracking_settings  # noqa: E402
from tests.helpers import BROWSER_UA  # noqa: E402

PORT_OFFSET = 770
WARM_UP_WAIT = 300.0  # at most this long for the rules to evaluate the warm-up's page views
OPEN_CONCURRENCY = 100
SEND_CONCURRENCY = 50  # in flight at once (the gateway's Redis pool holds 100 connections)
YEAR = 365 * 24 * 3600
NEVER = {"type": "attribute", "name": "bench_never", "op": "exists"}  # no visitor has it
TRIGGER, TIMER = "/demo/ofertas/bench-trigger-", "/demo/ofertas/bench-timer-"


@dataclass
class Visitor:
    n: int
    visitor_id: str
    token: str
    ip: str
    socket: ClientConnection | None = None
    invited_at: float | None = None  # time.time() of the first invitation frame


@dataclass
class Tally:
    sent: int = 0
    refused: int = 0
    triggers: dict[str, float] = field(default_factory=dict)  # visitor id -> time.time() the request left
    timers: dict[str, float] = field(default_factory=dict)  # visitor id -> due time (page time + stay)


def address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}"


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def metric(client: httpx.AsyncClient, url: str, name: str) -> float:
    text = (await client.get(url)).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def background_rule(rng: random.Random, n: int) -> dict[str, Any]:
    rule = rule_json(rng, n)
    rule["name"] = f"bench rule {n}"
    rule["conditions"]["conditions"][0]["section"] = SECTIONS[rng.choice(list(SECTIONS))][0]
    rule["conditions"]["conditions"].append(NEVER)
    return rule


def probe_rules(timer_seconds: float) -> list[dict[str, Any]]:
    invite = [{"type": "show_invitation", "text": "Can I help you?"}]
    return [
        {
            "name": "bench trigger",
            "conditions": {"type": "current_url", "op": "contains", "value": TRIGGER},
            "actions": invite,
        },
        {
            "name": "bench timer",
            "conditions": {
                "type": "and",
                "conditions": [
                    {"type": "current_url", "op": "contains", "value": TIMER},
                    {"type": "time_on_page", "seconds": timer_seconds},
                ],
            },
            "actions": invite,
        },
    ]


async def set_up(base: str, rules: list[dict[str, Any]]) -> tuple[str, str]:
    """The demo account's id and site's id, with its sections, the rules, and the admin online."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        login = (await client.post("/api/v1/auth/login", json={"email": DEMO_ADMIN, "password": DEMO_PASSWORD})).json()
        headers = {"authorization": f"Bearer {login['access_token']}"}
        site_id = (await client.get("/api/v1/sites", headers=headers)).json()["sites"][0]["id"]
        settings = await client.put(f"/api/v1/track/settings/{site_id}", json=demo_tracking_settings(), headers=headers)
        settings.raise_for_status()
        (await client.put("/api/v1/me/presence", json={"status": "online"}, headers=headers)).raise_for_status()
        path = f"/api/v1/sites/{site_id}/rules"
        deadline = time.monotonic() + 60
        while (first := await client.post(path, json=rules[0], headers=headers)).status_code != 201:
            if time.monotonic() > deadline:  # the rules hear of the demo site from the gateway's events
                raise SystemExit(f"the rules service refused the first rule: {first.text}")
            await asyncio.sleep(0.5)
        for rule in rules[1:]:
            (await client.post(path, json=rule, headers=headers)).raise_for_status()
        account_id: str = login["user"]["account_id"]
    return account_id, site_id


async def listen(visitor: Visitor) -> None:
    assert visitor.socket is not None
    with contextlib.suppress(Exception):
        async for raw in visitor.socket:
            frame = json.loads(raw)
            if frame.get("type") == "invitation" and visitor.invited_at is None:
                visitor.invited_at = time.time()


async def open_sockets(base: str, visitors: list[Visitor]) -> list[asyncio.Task[None]]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    url = base.replace("http", "ws", 1) + "/ws/visitor"

    async def one(visitor: Visitor) -> None:
        async with gate:
            headers = {"x-forwarded-for": visitor.ip, "user-agent": BROWSER_UA}
            ws = await connect(url, origin=base, additional_headers=headers, ping_interval=None)  # type: ignore[arg-type]
            await ws.send(json.dumps({"type": "auth", "token": visitor.token}))
            reply = json.loads(await ws.recv())
            if reply.get("type") != "auth.ok":
                raise SystemExit(f"the visitor socket refused the token: {reply}")
            visitor.socket = ws

    await asyncio.gather(*(one(v) for v in visitors))
    return [asyncio.create_task(listen(v)) for v in visitors]


class Sender:
    def __init__(self, base: str, tally: Tally) -> None:
        self.base = base
        self.tally = tally
        self.client = httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=SEND_CONCURRENCY)
        )
        self.gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def view(self, visitor: Visitor, path: str, sent: Callable[[], datetime | None] | None = None) -> None:
        """POST one page view; `sent()` is called as it leaves (once one of the `SEND_CONCURRENCY` connections is
        free: a wait for one is the bench's own, not the product's) and says the page's time (None: the arrival's)."""
        event = {"type": "pageview", "page_id": uuid.uuid4().hex, "url": f"{self.base}{path}", "title": path}
        headers = {
            "authorization": f"Bearer {visitor.token}",
            "x-forwarded-for": visitor.ip,
            "origin": self.base,
            "user-agent": BROWSER_UA,
        }
        status = 0
        async with self.gate:
            at = sent() if sent is not None else None
            if at is not None:
                event["at"] = at.isoformat()
            for _ in range(3):  # a keep-alive connection the server closed just then: sent again
                try:
                    answer = await self.client.post("/api/v1/track/events", json={"events": [event]}, headers=headers)
                except httpx.TransportError:
                    continue
                status = answer.status_code
                break
        self.tally.sent += 1
        self.tally.refused += status != 202

    async def close(self) -> None:
        await self.client.aclose()


def shop_page(rng: random.Random) -> str:
    key = rng.choice(list(SECTIONS))
    products = SECTIONS[key][1]
    return f"/demo/{key}/" + (rng.choice(products).slug if products and rng.random() < 0.7 else "")


async def paced(count: int, seconds: float, make: Any) -> None:
    """`count` calls of `make(i)` spread evenly over `seconds`, each its own task."""
    started = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        delay = started + i * seconds / max(count, 1) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        coroutine: Awaitable[None] = make(i)
        tasks.append(asyncio.ensure_future(coroutine))
    await asyncio.gather(*tasks)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(args: argparse.Namespace, stack: Stack) -> dict[str, float]:
    rng = random.Random(args.seed)
    base = stack.gateway_url
    rules = [*probe_rules(args.timer_seconds), *(background_rule(rng, n) for n in range(max(0, args.rules - 2)))]
    account_id, site_id = await set_up(base, rules)
    secret = stack.secrets["JWT_SECRET"]
    probes = min(args.probes, args.visitors // 4)
    visitors = []
    for n in range(args.visitors + 2 * probes):
        identity = Identity(kind="visitor", account_id=account_id, site_id=site_id, visitor_id=new_id())
        visitors.append(Visitor(n, identity.visitor_id or "", visitor_token(identity, secret, YEAR), address(n)))
    crowd, probing = visitors[: args.visitors], visitors[args.visitors :]
    gateway_pid = stack.processes["gateway"].pid

    # 2. idle sockets: the gateway's memory per 1,000
    await open_sockets(base, visitors[:50])  # allocator and caches warm
    before = await settled_rss(gateway_pid)
    opened = time.monotonic()
    listeners = await open_sockets(base, visitors[50:])
    took = time.monotonic() - opened
    after = await settled_rss(gateway_pid)
    per_socket = max(1.0, (after - before) / max(1, len(visitors) - 50))
    print(
        f"sockets: {len(visitors)} open (the last {len(visitors) - 50} in {took:.1f} s); gateway rss "
        f"{before / 2**20:.0f} -> {after / 2**20:.0f} MB: {per_socket * 1000 / 2**20:.1f} MB per 1,000",
        flush=True,
    )

    tally = Tally()
    sender = Sender(base, tally)
    rules_metrics = f"http://127.0.0.1:{stack.port('rules') + 1000}/metrics"
    async with httpx.AsyncClient(timeout=30) as scrape:
        # 3. warm-up: everyone live in the rules' store
        started = time.monotonic()
        await paced(len(crowd), len(crowd) / args.rate, lambda i: sender.view(crowd[i], shop_page(rng)))
        print(f"warm-up: {len(crowd)} page views in {time.monotonic() - started:.1f} s", flush=True)
        deadline = time.monotonic() + WARM_UP_WAIT
        while await metric(scrape, rules_metrics, "fw_rules_visitor_evaluations_total") < len(crowd) - tally.refused:
            if time.monotonic() > deadline:
                print(f"warm-up: the rules were still behind after {WARM_UP_WAIT:.0f} s", flush=True)
                break
            await asyncio.sleep(0.5)
        print(f"warm-up: the rules evaluated it in {time.monotonic() - started:.1f} s", flush=True)
        await asyncio.sleep(2)
        tally.sent = tally.refused = 0

        # 4. load
        rules_pid = stack.processes["rules"].pid
        evals0 = await metric(scrape, rules_metrics, "fw_rules_evaluations_total")
        visits0 = await metric(scrape, rules_metrics, "fw_rules_visitor_evaluations_total")
        cpu0, wall0 = cpu_seconds(rules_pid), time.monotonic()
        rate = min(args.rate, len(crowd) / 2)  # at most a page every 2 s per visitor

        async def trigger(i: int) -> None:
            visitor = probing[i]

            def sent() -> None:
                tally.triggers[visitor.visitor_id] = time.time()

            await sender.view(visitor, f"{TRIGGER}{i}", sent)

        async def timer(i: int) -> None:
            visitor = probing[probes + i]

            def sent() -> datetime:
                now = datetime.now(UTC)
                tally.timers[visitor.visitor_id] = now.timestamp() + args.timer_seconds
                return now

            await sender.view(visitor, f"{TIMER}{i}", sent)

        await asyncio.gather(
            paced(int(rate * args.seconds), args.seconds, lambda i: sender.view(rng.choice(crowd), shop_page(rng))),
            paced(probes, args.seconds, trigger),
            paced(probes, max(0.1, args.seconds - args.timer_seconds), timer),
        )
        cpu1, wall1 = cpu_seconds(rules_pid), time.monotonic()
        evals1 = await metric(scrape, rules_metrics, "fw_rules_evaluations_total")
        visits1 = await metric(scrape, rules_metrics, "fw_rules_visitor_evaluations_total")
        for _ in range(int((args.timer_seconds + 10) / 0.2)):  # the last probes' frames
            if all(v.invited_at for v in probing):
                break
            await asyncio.sleep(0.2)
    await sender.close()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(v.socket.close() for v in visitors if v.socket), return_exceptions=True)

    by_id = {v.visitor_id: v for v in probing}
    latencies = [(by_id[k].invited_at or 0) - t for k, t in tally.triggers.items() if by_id[k].invited_at]
    late = [(by_id[k].invited_at or 0) - due for k, due in tally.timers.items() if by_id[k].invited_at]
    cpu = max(cpu1 - cpu0, 1e-9)
    evals = evals1 - evals0
    print(
        f"load: {tally.sent} page views sent ({tally.refused} refused) in {wall1 - wall0:.1f} s; the rules process "
        f"used {cpu:.1f} CPU s for {visits1 - visits0:.0f} visitor evaluations "
        f"({cpu * 1000 / max(visits1 - visits0, 1):.2f} ms each, {(visits1 - visits0) / cpu:,.0f} per CPU s), "
        f"{evals:.0f} rule evaluations ({evals / max(visits1 - visits0, 1):.1f} rules per visitor; "
        f"{evals / (wall1 - wall0):,.0f}/s of wall time)",
        flush=True,
    )
    print(f"triggers: {len(latencies)} of {len(tally.triggers)} invited; timers: {len(late)} of {len(tally.timers)}")
    if latencies:
        print(
            f"trigger -> invitation frame: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 "
            f"{percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
    if late:
        print(
            f"timer due -> invitation frame: p50 {statistics.median(late) * 1000:.0f} ms, p99 "
            f"{percentile(late, 0.99) * 1000:.0f} ms, max {max(late) * 1000:.0f} ms"
        )
    return {
        "evals_per_s": evals / cpu,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "timer_late_ms": percentile(late, 0.99) * 1000,
        "sockets_per_gb": 2**30 / per_socket,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=400.0, help="page views per second, all visitors")
    parser.add_argument("--probes", type=int, default=200, help="trigger page views, and as many timers")
    parser.add_argument("--timer-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    stack = Stack(
        database=f"fw_rules_{tag}",
        port_offset=PORT_OFFSET,
        redis_prefix=f"fwrules-{tag}",
        state_dir=ROOT / ".stack" / f"rules-{tag}",
        extra_env={
            "TRUSTED_PROXIES": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "DEMO_TRAFFIC": "false",
            "PRESENCE_GRACE_SECONDS": "3600",  # the admin stays online without a console socket
        },
    )
    try:
        with stack:
            figures = asyncio.run(measure(args, stack))
    finally:
        asyncio.run(stack.drop_data())
    print(" ".join(f"{key}={value:.0f}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
