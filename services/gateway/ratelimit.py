"""Fixed-window request counters (SEC-4): in Redis, shared by every gateway replica, or in memory."""

import math
import time

from redis.asyncio import Redis

from services.common.errors import TooManyRequests


class RateLimiter:
    def __init__(self, redis_url: str | None, prefix: str) -> None:
        self.redis: Redis | None = Redis.from_url(redis_url) if redis_url else None
        self.prefix = prefix
        self._counts: dict[str, int] = {}
        self._window_of_counts = 0

    async def _count(self, key: str, window: float) -> tuple[int, float]:
        now = time.time()
        slot = int(now // window)
        left = (slot + 1) * window - now
        name = f"{self.prefix}:rl:{key}:{slot}"
        if self.redis is not None:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, math.ceil(window) + 1)
                count, _ = await pipe.execute()
            return int(count), left
        if len(self._counts) > 100_000 or self._window_of_counts != int(now // 60):
            self._counts = {k: v for k, v in self._counts.items() if int(k.rsplit(":", 1)[1]) >= slot - 1}
            self._window_of_counts = int(now // 60)
        self._counts[name] = self._counts.get(name, 0) + 1
        return self._counts[name], left

    async def check(self, key: str, limit: int, window: float, what: str) -> None:
        """Count one request under `key`; over `limit` in the window raises 429 with Retry-After."""
        if limit <= 0:
            return
        count, left = await self._count(key, window)
        if count > limit:
            raise TooManyRequests(
                f"Too many requests from this {what}; try again shortly.", retry_after=math.ceil(left)
            )

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
