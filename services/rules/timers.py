"""The durable timer store of the real-time rules (ENG-5): "look at this visitor again at time T", for the
time-based conditions that become true while the visitor just stays on a page (`Verdict.next_check_at`).

One interface, two stores, both with an injected clock (`Clock`: epoch seconds):
- `MemoryTimers` (embedded): a heap, one pending time per key (the latest `schedule` wins; stale heap
  entries are skipped when popped).
- `RedisTimers` (distributed): one sorted set `<prefix>:rules:timers` (member: the key, score: the due time),
  shared by every rules replica. `claim_due` hands each due key to exactly one replica: a Lua script reads the
  due members and removes them in one step, so two replicas asking at once never both get one.

A key is what the caller re-evaluates (e.g. `<account_id> <site_id> <visitor_id>`); scheduling a key again
moves it (ZADD / heap push), so a visitor has at most one pending check.
"""

import heapq
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import cast

from redis.asyncio import Redis

Clock = Callable[[], float]
CLAIM_BATCH = 500

# KEYS[1] the sorted set; ARGV[1] now, ARGV[2] at most this many. The due members, removed in the same step.
CLAIM_SCRIPT = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""


class TimerStore(ABC):
    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock

    @abstractmethod
    async def schedule(self, key: str, due_at: float) -> None:
        """Have `key` due at `due_at` (replacing its pending time, if any)."""

    async def schedule_many(self, due: Mapping[str, float]) -> None:
        """`schedule` for each key (in one step where the store can)."""
        for key, due_at in due.items():
            await self.schedule(key, due_at)

    @abstractmethod
    async def cancel(self, key: str) -> None:
        """Forget `key`'s pending time (the visitor left)."""

    @abstractmethod
    async def claim_due(self, limit: int = CLAIM_BATCH) -> list[str]:
        """The keys due by the clock's now, each handed to one caller only (across replicas), earliest first."""

    @abstractmethod
    async def next_due_at(self) -> float | None:
        """The earliest pending time (to sleep until), or None."""

    async def close(self) -> None:
        return None


class MemoryTimers(TimerStore):
    def __init__(self, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    async def schedule(self, key: str, due_at: float) -> None:
        self._due[key] = due_at
        heapq.heappush(self._heap, (due_at, key))

    async def cancel(self, key: str) -> None:
        self._due.pop(key, None)

    def _drop_stale(self) -> None:
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)

    async def claim_due(self, limit: int = CLAIM_BATCH) -> list[str]:
        now, claimed = self.clock(), list[str]()
        while len(claimed) < limit:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                break
            _, key = heapq.heappop(self._heap)
            del self._due[key]
            claimed.append(key)
        return claimed

    async def next_due_at(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None


class RedisTimers(TimerStore):
    def __init__(self, url: str, prefix: str, clock: Clock = time.time) -> None:
        super().__init__(clock)
        self.redis: Redis = Redis.from_url(url)
        self.key = f"{prefix}:rules:timers"
        self._claim = self.redis.register_script(CLAIM_SCRIPT)

    async def schedule(self, key: str, due_at: float) -> None:
        await self.redis.zadd(self.key, {key: due_at})

    async def schedule_many(self, due: Mapping[str, float]) -> None:
        if due:
            await self.redis.zadd(self.key, dict(due))

    async def cancel(self, key: str) -> None:
        await self.redis.zrem(self.key, key)

    async def claim_due(self, limit: int = CLAIM_BATCH) -> list[str]:
        due = cast(list[bytes], await self._claim(keys=[self.key], args=[self.clock(), limit]))
        return [member.decode() for member in due]

    async def next_due_at(self) -> float | None:
        first = cast(list[tuple[bytes, float]], await self.redis.zrange(self.key, 0, 0, withscores=True))
        return float(first[0][1]) if first else None

    async def close(self) -> None:
        await self.redis.aclose()


def timer_store(redis_url: str | None, prefix: str, clock: Clock = time.time) -> TimerStore:
    return RedisTimers(redis_url, prefix, clock) if redis_url else MemoryTimers(clock)
