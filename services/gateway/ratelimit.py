"""Fixed-window request counters (SEC-4): in Redis, shared by every gateway replica, or in memory."""

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from services.common.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    key: str  # what is counted: "ip:203.0.113.7", "v:<visitor id>" ...
    limit: int  # requests per window; 0 or less: no limit
    window: float  # seconds
    what: str  # for the error message: "address", "visitor", "site"


# Each key (ARGV: its lifetime in seconds) counted up by one; a new counter gets its expiry. One command for
# all the counters of a request: the busiest endpoint pays one small script call, not a pipeline of 6. The
# requests counted in one turn of the loop send their calls together, in one pipeline (`_send_waiting`).
COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  counts[i] = count
end
return counts
"""


class RateLimiter:
    def __init__(self, redis_url: str | None, prefix: str) -> None:
        self.redis: Redis | None = Redis.from_url(redis_url) if redis_url else None
        self.prefix = prefix
        self._counts: dict[str, int] = {}
        self._pruned_at = 0.0
        self._waiting: list[tuple[list[Any], asyncio.Future[list[int]]]] = []  # counted, not sent yet
        self._sending: set[asyncio.Task[None]] = set()

    async def _count(self, names: list[tuple[str, float]]) -> list[int]:
        """Add one to each counter (one round trip in Redis, shared with the requests counted in the same turn
        of the loop) and return the new counts."""
        if self.redis is not None:
            keys = [name for name, _ in names]
            lifetimes = [math.ceil(window) + 1 for _, window in names]
            loop = asyncio.get_running_loop()
            counted: asyncio.Future[list[int]] = loop.create_future()
            self._waiting.append(([len(keys), *keys, *lifetimes], counted))
            if len(self._waiting) == 1:
                sending = loop.create_task(self._send_waiting(self.redis))
                self._sending.add(sending)
                sending.add_done_callback(self._sending.discard)
            return await counted
        now = time.time()
        if now - self._pruned_at > 60:  # drop the counters of windows that ended
            self._counts = {k: v for k, v in self._counts.items() if float(k.rsplit(":", 1)[1]) > now}
            self._pruned_at = now
        counts = []
        for name, _ in names:
            self._counts[name] = self._counts.get(name, 0) + 1
            counts.append(self._counts[name])
        return counts

    async def check(self, *limits: Limit) -> None:
        """Count one request under each limit; any over its limit raises 429 with Retry-After."""
        active = [limit for limit in limits if limit.limit > 0]
        if not active:
            return
        now = time.time()
        ends = [(math.floor(now / limit.window) + 1) * limit.window for limit in active]
        names = [
            (f"{self.prefix}:rl:{limit.key}:{end:.0f}", limit.window) for limit, end in zip(active, ends, strict=True)
        ]
        counts = await self._count(names)
        for limit, end, count in zip(active, ends, counts, strict=True):
            if count > limit.limit:
                raise TooManyRequests(
                    f"Too many requests from this {limit.what}; try again shortly.",
                    retry_after=max(1, math.ceil(end - now)),
                )

    async def _send_waiting(self, redis: Redis) -> None:
        """The script calls of the requests waiting, in one pipeline (EVAL: Redis keeps the compiled script)."""
        waiting, self._waiting = self._waiting, []
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for args, _ in waiting:
                    pipe.eval(COUNT_SCRIPT, *args)
                answers = await pipe.execute(raise_on_error=False)
        except Exception as exc:
            for _, counted in waiting:
                if not counted.done():
                    counted.set_exception(exc)
            return
        for (_, counted), answer in zip(waiting, answers, strict=True):
            if counted.done():
                continue
            if isinstance(answer, Exception):
                counted.set_exception(answer)
            else:
                counted.set_result([int(count) for count in answer])

    async def close(self) -> None:
        if self._sending:
            await asyncio.wait(list(self._sending), timeout=5)
        if self.redis is not None:
            await self.redis.aclose()
