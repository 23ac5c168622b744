"""Routing on the distributed stack: how fast a new chat is offered, how evenly, and how fast a backlog drains.

    .venv/bin/python bench/routing.py [--operators 100] [--chats 1000] [--rate 25] [--backlog 1000]

Starts the distributed mode with two gateways and two chat processes (one database, one Redis; ports
8900-8911): half of the visitors and operators use each gateway, and each gateway calls its own chat
process, so both chat replicas route at once. The demo account gets `--operators` operators (capacity
`--capacity` each, every one a member of two of the three queues, least busy), each with one console socket.
Phase 1: `--chats` chats arrive at `--rate` a second (a third in each queue); each operator accepts an
offer at once and closes the chat `--hold` seconds later. Assignment latency: from just before the
visitor's `POST /api/v1/conversations` to the `conversation.offered` frame on the operator's socket.
Spread: chats handled per operator, max minus min.
Phase 2: every operator offline, `--backlog` chats start and wait, then every operator comes online at once
(and accepts what is offered, closing nothing): the seconds from the moment their `online` requests leave to
the moment every chat that fits capacity (operators x capacity) is offered.
Violations, both phases: a chat offered to a second operator while an earlier offer of it still held (an
offer ends when it is accepted, it expires, or the chat goes back to the queue), and an operator holding
more chats (accepted and offered, as their console counts them) than their capacity.
The routing lock, per phase: how often both chat processes took it, the average and the p99 (the upper bound
of the histogram bucket) of the wait for it and of the time it was held, commit included (their Prometheus
histograms `fw_routing_lock_wait_seconds` and `fw_routing_lock_held_seconds`, on each process's metrics port).
Last line: p50_ms p99_ms spread drain_s violations
"""

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack  # noqa: E402
from services.common.topology import METRICS_PORT_OFFSET  # noqa: E402

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
ADMIN = ("admin@demo.example", "floorwalker")
PASSWORD = "bench-operator-password"
PORT_OFFSET = 900
SECOND = 10  # the second gateway and chat listen on their first's port + this
QUEUES = ("Sales", "Service", "Parts")
# Each operator's console keeps a few connections open (an accept and the closes of the chats it holds); a request
# waits for a pooled one rather than opening more. A failed request is counted in the errors, never fatal (a run
# once ended on one httpx ConnectTimeout after about 15 minutes of a saturated stack).
# A pooled connection is dropped after 2 s idle, before the gateway's keep-alive (5 s) closes it under a request
# (an httpx ReadError ended a run); an accept, a close or a status is sent again after such a transport error.
OPERATOR_LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=2.0)
TIMEOUT = httpx.Timeout(60.0, connect=30.0, pool=120.0)
RETRIED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.ConnectError)


async def again(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """An idempotent request, sent again (twice at most) after a transport error."""
    for attempt in range(3):
        try:
            return await client.request(method, path, **kwargs)
        except RETRIED:
            if attempt == 2:
                raise
            await asyncio.sleep(0.1)
    raise AssertionError("unreachable")


LOCK_METRICS = ("fw_routing_lock_wait_seconds", "fw_routing_lock_held_seconds")


def lock_metrics(ports: list[int]) -> dict[str, dict[str, float]]:
    """The routing lock's histograms of these chat processes, summed: per metric, its `sum`, `count` and each
    bucket's `le` (cumulative counts)."""
    found: dict[str, dict[str, float]] = {name: {} for name in LOCK_METRICS}
    for port in ports:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.HTTPError:
            continue
        for line in text.splitlines():
            for name in LOCK_METRICS:
                if not line.startswith(name):
                    continue
                key, _, value = line.rpartition(" ")
                if key == f"{name}_sum" or key == f"{name}_count":
                    part = key.removeprefix(name + "_")
                elif key.startswith(f'{name}_bucket{{le="'):
                    part = key.split('"')[1]
                else:
                    continue
                found[name][part] = found[name].get(part, 0.0) + float(value)
    return found


def lock_summary(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> str:
    """The lock between two readings: how often, and the wait and hold (average, p99 bucket) in ms."""
    parts = []
    taken = after[LOCK_METRICS[0]].get("count", 0.0) - before[LOCK_METRICS[0]].get("count", 0.0)
    for name, label in zip(LOCK_METRICS, ("wait", "held"), strict=True):
        delta = {k: v - before[name].get(k, 0.0) for k, v in after[name].items()}
        count = delta.get("count", 0.0)
        if not count:
            return "routing lock: not measured (no metrics port answered, or never taken)"
        buckets = sorted((float(k), v) for k, v in delta.items() if k not in ("sum", "count"))
        p99 = next((le for le, n in buckets if n >= 0.99 * count), float("inf"))
        parts.append(f"{label} avg {delta['sum'] / count * 1000:.1f} ms, p99 <= {p99 * 1000:g} ms")
    return f"routing lock taken {taken:.0f} times; " + "; ".join(parts)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def addresses(count: int, seed: int) -> list[str]:
    """Public addresses, one per visitor or operator (behind a trusted proxy), so no per-address limit binds."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        candidate = ipaddress.IPv4Address(rng.getrandbits(32))
        if candidate.is_global:
            found.add(str(candidate))
    return sorted(found)


def error_code(answer: httpx.Response) -> str:
    """The `error.code` of an error answer (empty when the body says none)."""
    try:
        return str(answer.json().get("error", {}).get("code", ""))
    except (ValueError, AttributeError):
        return ""


@dataclass
class Operator:
    email: str
    ip: str
    base: str  # the gateway this operator's console uses
    origin: str  # the console's origin (the public URL, whichever gateway serves it)
    token: str = ""
    user_id: str = ""
    client: httpx.AsyncClient | None = None
    socket: ClientConnection | None = None
    holding: set[str] = field(default_factory=set)  # chats offered or accepted, not closed: the console's count
    handled: int = 0
    accept: bool = True
    close_after: float | None = 2.0

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "origin": self.origin, "x-forwarded-for": self.ip}


@dataclass
class Tally:
    started: dict[str, float] = field(default_factory=dict)  # conversation id -> before its POST
    offered_at: dict[str, float] = field(default_factory=dict)  # conversation id -> its first offer frame
    latencies: list[float] = field(default_factory=list)
    holder: dict[str, tuple[str, float]] = field(default_factory=dict)  # conversation -> (operator, offer expiry)
    violations: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    offers: int = 0


class Bench:
    def __init__(self, args: argparse.Namespace, stack: Stack) -> None:
        self.args = args
        self.stack = stack
        self.bases = [stack.gateway_url, f"http://127.0.0.1:{stack.port('gateway') + SECOND}"]
        self.tally = Tally()
        self.operators: list[Operator] = []
        self.by_user: dict[str, Operator] = {}
        self.queue_ids: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    # --- set-up -------------------------------------------------------------------------------------

    async def admin_headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        login = await client.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        login.raise_for_status()
        return {"authorization": f"Bearer {login.json()['access_token']}", "origin": self.bases[0]}

    async def set_up(self) -> None:
        ips = addresses(self.args.operators, 11)
        async with httpx.AsyncClient(base_url=self.bases[0], timeout=60) as client:
            admin = await self.admin_headers(client)
            for i in range(self.args.operators):
                email = f"bench-op-{i:03d}@demo.example"
                body = {"email": email, "password": PASSWORD, "name": f"Operator {i:03d}", "role": "operator"}
                (await client.post("/api/v1/users", json=body, headers=admin)).raise_for_status()
                self.operators.append(Operator(email, ips[i], self.bases[i % 2], self.bases[0]))
            gate = asyncio.Semaphore(8)
            await asyncio.gather(*(self.log_in(operator, gate) for operator in self.operators))
            settings = {"default_max_chats": self.args.capacity}
            (await client.put("/api/v1/presence/settings", json=settings, headers=admin)).raise_for_status()
            for q, name in enumerate(QUEUES):
                members = [
                    {"user_id": o.user_id, "priority": 0}
                    for i, o in enumerate(self.operators)
                    if i % len(QUEUES) in (q, (q + 1) % len(QUEUES))
                ]
                queue: dict[str, Any] = {"name": f"{name} {uuid.uuid4().hex[:4]}", "strategy": "least_busy"}
                queue |= {"members": members, "max_wait_seconds": 86400}  # no failover: a backlog waits where it is
                answer = await client.post("/api/v1/queues", json=queue, headers=admin)
                answer.raise_for_status()
                self.queue_ids.append(answer.json()["id"])
        self.by_user = {o.user_id: o for o in self.operators}
        await asyncio.gather(*(self.open_console(o) for o in self.operators))

    async def log_in(self, operator: Operator, gate: asyncio.Semaphore) -> None:
        operator.client = httpx.AsyncClient(base_url=operator.base, timeout=TIMEOUT, limits=OPERATOR_LIMITS)
        async with gate:
            headers = {"x-forwarded-for": operator.ip}
            login = await operator.client.post(
                "/api/v1/auth/login", json={"email": operator.email, "password": PASSWORD}, headers=headers
            )
        login.raise_for_status()
        operator.token = login.json()["access_token"]
        presence = await operator.client.get("/api/v1/me/presence", headers=operator.headers())
        presence.raise_for_status()
        operator.user_id = presence.json()["user_id"]

    async def open_console(self, operator: Operator) -> None:
        url = operator.base.replace("http", "ws", 1) + "/ws/operator"
        ws = await connect(url, origin=operator.origin)  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "auth", "token": operator.token}))
        reply = json.loads(await ws.recv())
        if reply.get("type") != "auth.ok":
            raise SystemExit(f"the operator socket refused the token: {reply}")
        operator.socket = ws
        self.spawn(self.read_frames(operator))

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- what each console does -------------------------------------------------------------------------

    async def read_frames(self, operator: Operator) -> None:
        assert operator.socket is not None
        with contextlib.suppress(ConnectionClosed):
            async for raw in operator.socket:
                # Frames of a waiting chat go to every member of its queue (about 67 consoles here): the load
                # generator parses only what concerns this console (a parse of every frame on every socket was
                # most of its CPU, and delayed the frames it timed).
                text = raw if isinstance(raw, str) else raw.decode()
                if '"conversation.offered"' in text:
                    if operator.user_id not in text:
                        continue
                    frame = json.loads(text)
                    if frame.get("type") == "conversation.offered" and frame.get("user_id") == operator.user_id:
                        self.on_offer(frame)
                elif operator.holding and any(held in text for held in operator.holding):
                    frame = json.loads(text)
                    if frame.get("type") in ("conversation.updated", "conversation.closed"):
                        self.on_update(frame.get("conversation") or {})

    def on_offer(self, frame: dict[str, Any]) -> None:
        now = time.perf_counter()
        conversation_id = frame["conversation"]["id"]
        operator = self.by_user.get(frame["user_id"])
        if operator is None:
            return
        if operator.socket is None or conversation_id in operator.holding:
            return  # the same offer again (a frame republished)
        tally = self.tally
        held = tally.holder.get(conversation_id)
        if held is not None and held[0] != operator.user_id and held[1] > time.time():
            tally.violations["offered_twice"] += 1
        expires = datetime.fromisoformat(frame["expires_at"]).timestamp() if frame.get("expires_at") else 0.0
        tally.holder[conversation_id] = (operator.user_id, expires)
        tally.offers += 1
        if conversation_id not in tally.offered_at:
            tally.offered_at[conversation_id] = now
            started = tally.started.get(conversation_id)
            if started is not None and self.timing:
                tally.latencies.append((now - started) * 1000)
        operator.holding.add(conversation_id)
        if len(operator.holding) > self.args.capacity:
            tally.violations["over_capacity"] += 1
        if operator.accept:
            self.spawn(self.accept(operator, conversation_id))

    def on_update(self, conversation: dict[str, Any]) -> None:
        """An offer that ended without our operator's accept (expired, given back) frees its holder."""
        conversation_id = conversation.get("id")
        held = self.tally.holder.get(conversation_id or "")
        if held is None or conversation.get("offered_user_id") == held[0]:
            return
        if conversation.get("state") == "waiting" and conversation.get("assigned_user_id") is None:
            self.tally.holder.pop(conversation_id or "", None)
            owner = self.by_user.get(held[0])
            if owner is not None:
                owner.holding.discard(conversation_id or "")

    async def accept(self, operator: Operator, conversation_id: str) -> None:
        try:
            await self._accept(operator, conversation_id)
        except httpx.HTTPError as exc:  # counted, not fatal: one slow answer must not end the run
            self.tally.errors[f"accept/close {type(exc).__name__}"] += 1
            operator.holding.discard(conversation_id)

    async def _accept(self, operator: Operator, conversation_id: str) -> None:
        assert operator.client is not None
        path = f"/api/v1/conversations/{conversation_id}"
        answer = await again(operator.client, "POST", path + "/accept", headers=operator.headers())
        if answer.status_code != 200:
            self.tally.errors[f"accept {answer.status_code} {error_code(answer)}"] += 1
            operator.holding.discard(conversation_id)
            return
        self.tally.holder[conversation_id] = (operator.user_id, float("inf"))  # accepted: held until closed
        operator.handled += 1
        if operator.close_after is None:
            return
        await asyncio.sleep(operator.close_after)
        operator.holding.discard(conversation_id)  # before the close: capacity is freed only after it
        self.tally.holder.pop(conversation_id, None)
        closed = await again(operator.client, "POST", path + "/close", headers=operator.headers())
        if closed.status_code != 200:
            self.tally.errors[f"close {closed.status_code}"] += 1

    async def set_presence(self, status: str) -> None:
        async def one(operator: Operator) -> None:
            assert operator.client is not None
            answer = await again(
                operator.client, "PUT", "/api/v1/me/presence", json={"status": status}, headers=operator.headers()
            )
            answer.raise_for_status()

        await asyncio.gather(*(one(o) for o in self.operators))

    # --- visitors ------------------------------------------------------------------------------------

    async def visitor_tokens(self, count: int, seed: int) -> list[tuple[str, str, str]]:
        """(gateway, address, visitor token) for `count` visitors, alternating between the gateways."""
        ips = addresses(count, seed)
        gate = asyncio.Semaphore(16)

        async def one(n: int, client: httpx.AsyncClient) -> tuple[str, str, str]:
            base = self.bases[n % 2]
            headers = {"origin": self.bases[0], "user-agent": BROWSER_UA, "x-forwarded-for": ips[n]}
            async with gate:
                answer = await client.post(
                    base + "/api/v1/widget/session", json={"site_key": "demo-shop"}, headers=headers
                )
            answer.raise_for_status()
            return base, ips[n], answer.json()["visitor_token"]

        async with httpx.AsyncClient(timeout=60) as client:
            return list(await asyncio.gather(*(one(n, client) for n in range(count))))

    async def start_chats(self, visitors: list[tuple[str, str, str]], rate: float) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2.0)
        async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
            begin = time.perf_counter()

            async def one(n: int, visitor: tuple[str, str, str]) -> None:
                await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
                base, ip, token = visitor
                headers = {
                    "authorization": f"Bearer {token}",
                    "origin": self.bases[0],
                    "user-agent": BROWSER_UA,
                    "x-forwarded-for": ip,
                }
                body = {"text": f"chat {n}", "client_msg_id": uuid.uuid4().hex, "queue_id": self.queue_ids[n % 3]}
                sent = time.perf_counter()
                try:
                    answer = await client.post(base + "/api/v1/conversations", json=body, headers=headers)
                except httpx.HTTPError as exc:  # counted, not fatal
                    self.tally.errors[f"start {type(exc).__name__}"] += 1
                    return
                if answer.status_code != 201:
                    self.tally.errors[f"start {answer.status_code} {error_code(answer)}"] += 1
                    return
                conversation_id = answer.json()["id"]
                self.tally.started[conversation_id] = sent
                offered = self.tally.offered_at.get(conversation_id)
                if offered is not None and self.timing:  # the frame came before the 201
                    self.tally.latencies.append((offered - sent) * 1000)

            await asyncio.gather(*(one(n, v) for n, v in enumerate(visitors)))

    async def until(self, check: Any, seconds: float) -> bool:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if check():
                return True
            await asyncio.sleep(0.02)
        return bool(check())

    # --- the phases ------------------------------------------------------------------------------------

    timing = False

    async def run(self) -> dict[str, Any]:
        args = self.args
        phase1 = await self.visitor_tokens(args.chats, 21)
        phase2 = await self.visitor_tokens(args.backlog, 22)
        await self.set_presence("online")
        await asyncio.sleep(1)
        chat = self.stack.port("chat") + METRICS_PORT_OFFSET
        ports = [chat, chat + SECOND]
        locks = [await asyncio.to_thread(lock_metrics, ports)]
        self.timing = True
        await self.start_chats(phase1, args.rate)
        ids1 = set(self.tally.started)
        offered_all = await self.until(lambda: ids1 <= set(self.tally.offered_at), 60)
        self.timing = False
        locks.append(await asyncio.to_thread(lock_metrics, ports))
        handled = [o.handled for o in self.operators]
        latencies = self.tally.latencies
        print(  # at once: a run that fails later keeps its first phase
            f"phase 1 done: {len(latencies)} timed offers, p50 {percentile(latencies, 0.5):.1f} ms,"
            f" p99 {percentile(latencies, 0.99):.1f} ms; spread {max(handled) - min(handled) if handled else 0};"
            f" violations {dict(self.tally.violations) or 'none'}; errors {dict(self.tally.errors) or 'none'}",
            flush=True,
        )
        print(f"phase 1 {lock_summary(locks[0], locks[1])}", flush=True)
        await self.until(lambda: all(not o.holding for o in self.operators), args.hold + 30)
        # Phase 2: the backlog.
        for operator in self.operators:
            operator.close_after = None
        await self.set_presence("offline")
        before = set(self.tally.started)
        await self.start_chats(phase2, max(args.rate, 100.0))
        ids2 = set(self.tally.started) - before
        await asyncio.sleep(2)
        early = len(ids2 & set(self.tally.offered_at))
        fits = min(len(ids2), args.operators * args.capacity)
        locks.append(await asyncio.to_thread(lock_metrics, ports))
        online = time.perf_counter()  # all come online at once: the clock starts as their requests leave
        await self.set_presence("online")
        drained = await self.until(lambda: len(ids2 & set(self.tally.offered_at)) >= fits, 120)
        locks.append(await asyncio.to_thread(lock_metrics, ports))
        drain_s = (
            (max(self.tally.offered_at[c] for c in ids2 & set(self.tally.offered_at)) - online)
            if drained
            else float("inf")
        )
        return {
            "phase1_offered_all": offered_all,
            "phase1_missing": len(ids1 - set(self.tally.offered_at)),
            "handled": handled,
            "early": early,
            "fits": fits,
            "drain_s": max(0.0, drain_s),
            "locks": [lock_summary(locks[0], locks[1]), lock_summary(locks[2], locks[3])],
        }

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for operator in self.operators:
            if operator.socket is not None:
                await operator.socket.close()
            if operator.client is not None:
                await operator.client.aclose()


def spawn_second(stack: Stack, name: str, port: int, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**stack.env(name), "PORT": str(port), **extra}
    log = open(stack.state_dir / f"{name}-2.log", "ab")
    return subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env, stdout=log, stderr=log)


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {seconds} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=100)
    parser.add_argument("--capacity", type=int, default=3)
    parser.add_argument("--chats", type=int, default=1000, help="phase 1: chats arriving at --rate")
    parser.add_argument("--rate", type=float, default=25.0, help="phase 1: chats a second")
    parser.add_argument("--hold", type=float, default=2.0, help="phase 1: seconds an operator keeps a chat")
    parser.add_argument("--backlog", type=int, default=1000, help="phase 2: chats waiting for the operators")
    args = parser.parse_args()
    gc.disable()
    tag = uuid.uuid4().hex[:8]
    stack = Stack(
        database=f"fw_routing_{tag}",
        port_offset=PORT_OFFSET,
        redis_prefix=f"fwrouting-{tag}",
        state_dir=ROOT / ".stack" / f"routing-{tag}",
        services=("gateway", "chat"),
        extra_env={"TRUSTED_PROXIES": "127.0.0.1", "LOG_LEVEL": "WARNING", "DEMO_TRAFFIC": "false"},
    )
    seconds: list[subprocess.Popen[bytes]] = []
    try:
        with stack:
            chat2 = stack.port("chat") + SECOND
            seconds.append(spawn_second(stack, "chat", chat2, {}))
            wait_ready(f"http://127.0.0.1:{chat2}")
            gateway2 = stack.port("gateway") + SECOND
            seconds.append(spawn_second(stack, "gateway", gateway2, {"CHAT_URL": f"http://127.0.0.1:{chat2}"}))
            wait_ready(f"http://127.0.0.1:{gateway2}")
            result, bench = asyncio.run(run(args, stack))
    finally:
        for process in seconds:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
        asyncio.run(stack.drop_data())
    report(args, result, bench)


async def run(args: argparse.Namespace, stack: Stack) -> tuple[dict[str, Any], Tally]:
    bench = Bench(args, stack)
    try:
        await bench.set_up()
        result = await bench.run()
    finally:
        await bench.close()
    return result, bench.tally


def report(args: argparse.Namespace, result: dict[str, Any], tally: Tally) -> None:
    latencies = tally.latencies
    handled = result["handled"]
    spread = max(handled) - min(handled) if handled else 0
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(
        f"phase 1: {args.chats} chats at {args.rate:g}/s; {len(latencies)} timed offers, p50 {p50:.1f} ms,"
        f" p99 {p99:.1f} ms, max {max(latencies, default=float('nan')):.1f} ms; not offered {result['phase1_missing']}"
    )
    print(
        f"         chats per operator: min {min(handled, default=0)}, max {max(handled, default=0)} (spread {spread})"
    )
    print(
        f"phase 2: {args.backlog} chats waiting ({result['early']} offered while everyone was offline);"
        f" {result['fits']} fit capacity; all offered {result['drain_s']:.2f} s after the last operator came online"
    )
    print(f"phase 1 {result['locks'][0]}\nphase 2 {result['locks'][1]}")
    violations = sum(tally.violations.values())
    print(f"violations: {dict(tally.violations) or 'none'}; other errors: {dict(tally.errors) or 'none'}")
    print(
        f"p50_ms={p50:.1f} p99_ms={p99:.1f} spread={spread} drain_s={result['drain_s']:.2f}"
        f" violations={violations + result['early']}"
    )


if __name__ == "__main__":
    main()
