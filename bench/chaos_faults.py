"""What `chaos_chat.py` does to the distributed stack, and the page views it sends meanwhile."""

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import httpx

from bench.healing_client import Participant
from scripts.redis_server import RedisServer
from scripts.stack import PG_ADMIN_DSN, Stack

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
FAULTS = ("kill_chat", "kill_gateway", "kill_redis", "terminate_postgres", "drop_sockets")


@dataclass
class Fault:
    kind: str
    at: float = 0.0  # monotonic time it was done
    back: float = 0.0  # monotonic time the faulty part was running again
    what: str = ""


class Saboteur:
    def __init__(self, stack: Stack, redis: RedisServer, participants: list[Participant]) -> None:
        self.stack = stack
        self.redis = redis
        self.participants = participants

    async def do(self, kind: str) -> Fault:
        fault = Fault(kind=kind, at=time.monotonic())
        action: Callable[[Fault], Awaitable[None]] = getattr(self, f"_{kind}")
        await action(fault)
        fault.back = time.monotonic()
        return fault

    async def _kill(self, fault: Fault, name: str) -> None:
        pid = self.stack.processes[name].pid
        fault.at = time.monotonic()
        await asyncio.to_thread(self.stack.restart_service, name, kill=True)
        fault.what = f"SIGKILL {name} (pid {pid}), started again (pid {self.stack.processes[name].pid})"

    async def _kill_chat(self, fault: Fault) -> None:
        await self._kill(fault, "chat")

    async def _kill_gateway(self, fault: Fault) -> None:
        await self._kill(fault, "gateway")

    async def _kill_redis(self, fault: Fault) -> None:
        pid = self.redis.pid
        fault.at = time.monotonic()
        await asyncio.to_thread(self.redis.restart)
        fault.what = f"SIGKILL redis-server (pid {pid}), started again on its AOF (pid {self.redis.pid})"

    async def _terminate_postgres(self, fault: Fault) -> None:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            fault.at = time.monotonic()
            ended = await admin.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.stack.database,
            )
        finally:
            await admin.close()
        fault.what = f"pg_terminate_backend on {ended} connections of {self.stack.database}"

    async def _drop_sockets(self, fault: Fault) -> None:
        fault.at = time.monotonic()
        dropped = sum(p.drop_socket() for p in self.participants)
        fault.what = f"cut {dropped} sockets without a close frame"


@dataclass
class PageViews:
    """One page view per request, each visitor in turn, at a fixed rate; a request that is not answered
    202 is sent again (same page id) until it is, as the widget does."""

    base: str
    tokens: list[str]
    rate: float
    accepted: set[str] = field(default_factory=set)
    refused: dict[int, int] = field(default_factory=dict)  # status (0: no answer) -> count
    _unsent: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, stop: asyncio.Event) -> None:
        headers = {"origin": self.base, "user-agent": BROWSER_UA}
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=10) as client:
            start = time.monotonic()
            n = 0
            while not stop.is_set():
                await asyncio.sleep(max(0.0, start + n / self.rate - time.monotonic()))
                task = asyncio.create_task(self._until_accepted(client, n))
                self._unsent.add(task)
                task.add_done_callback(self._unsent.discard)
                n += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await asyncio.gather(*self._unsent)

    async def _until_accepted(self, client: httpx.AsyncClient, n: int) -> None:
        page_id = uuid.uuid4().hex[:16]
        body = {"events": [{"type": "pageview", "page_id": page_id, "url": self.url(n), "title": f"chaos {n}"}]}
        headers = {"authorization": f"Bearer {self.tokens[n % len(self.tokens)]}"}
        while True:
            try:
                answer = await client.post("/api/v1/track/events", json=body, headers=headers)
            except httpx.HTTPError:
                self.refused[0] = self.refused.get(0, 0) + 1
                await asyncio.sleep(0.5)
                continue
            if answer.status_code == 202:
                if answer.json().get("accepted") == 1:
                    self.accepted.add(page_id)
                return
            self.refused[answer.status_code] = self.refused.get(answer.status_code, 0) + 1
            if answer.status_code < 500 and answer.status_code != 429:
                return  # refused for good: not counted as accepted
            await asyncio.sleep(float(answer.headers.get("retry-after") or 0.5))

    def url(self, n: int) -> str:
        return f"{self.base}/demo/chaos/{n}"


async def stored_page_views(stack: Stack, base: str) -> int:
    conn = await asyncpg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{stack.database}")
    try:
        return int(await conn.fetchval("SELECT count(*) FROM page_views WHERE url LIKE $1", f"{base}/demo/chaos/%"))
    finally:
        await conn.close()
