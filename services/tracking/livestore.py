"""Who is on the account's sites now: Redis when distributed (shared by every replica), memory when embedded.

A record is the visitor's `LiveVisitor` JSON. `expire` hands each departed visitor to exactly one caller,
so with several tracking replicas a departure is announced once.
"""

import json
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

Record = dict[str, Any]


class LiveStore(ABC):
    @abstractmethod
    async def put_many(self, entries: list[tuple[str, str, Record, float]]) -> None:
        """(account, visitor, record, last seen) for each visitor arrived or changed."""

    async def put(self, account_id: str, visitor_id: str, record: Record, last_seen: float) -> None:
        await self.put_many([(account_id, visitor_id, record, last_seen)])

    @abstractmethod
    async def put_missing(self, entries: list[tuple[str, str, Record, float]]) -> None:
        """`put_many` of the visitors not in the store (a record there is at least as new)."""

    @abstractmethod
    async def get(self, account_id: str, visitor_id: str) -> Record | None: ...

    @abstractmethod
    async def recent(self, account_id: str, since: float) -> list[Record]:
        """Records of visitors seen at `since` or later (epoch seconds)."""

    @abstractmethod
    async def remove(self, account_id: str, visitor_id: str) -> bool:
        """True when this call removed the visitor (it was there)."""

    @abstractmethod
    async def expire(self, before: float) -> list[tuple[str, str]]:
        """Remove the visitors last seen before `before`; returns the (account, visitor) this call removed."""

    async def close(self) -> None:
        return None


class MemoryLiveStore(LiveStore):
    def __init__(self) -> None:
        self._records: dict[str, dict[str, tuple[float, Record]]] = {}

    async def put_many(self, entries: list[tuple[str, str, Record, float]]) -> None:
        for account_id, visitor_id, record, last_seen in entries:
            self._records.setdefault(account_id, {})[visitor_id] = (last_seen, record)

    async def put_missing(self, entries: list[tuple[str, str, Record, float]]) -> None:
        for account_id, visitor_id, record, last_seen in entries:
            self._records.setdefault(account_id, {}).setdefault(visitor_id, (last_seen, record))

    async def get(self, account_id: str, visitor_id: str) -> Record | None:
        hit = self._records.get(account_id, {}).get(visitor_id)
        return hit[1] if hit else None

    async def recent(self, account_id: str, since: float) -> list[Record]:
        return [record for seen, record in self._records.get(account_id, {}).values() if seen >= since]

    async def remove(self, account_id: str, visitor_id: str) -> bool:
        return self._records.get(account_id, {}).pop(visitor_id, None) is not None

    async def expire(self, before: float) -> list[tuple[str, str]]:
        gone = [(a, v) for a, members in self._records.items() for v, (seen, _) in members.items() if seen < before]
        for account_id, visitor_id in gone:
            del self._records[account_id][visitor_id]
        return gone


class RedisLiveStore(LiveStore):
    """A hash of records per account, and one sorted set of `account|visitor` by last activity."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = prefix
        self.seen_key = f"{prefix}:live:seen"

    def _hash(self, account_id: str) -> str:
        return f"{self.prefix}:live:{account_id}"

    async def put_many(self, entries: list[tuple[str, str, Record, float]]) -> None:
        if not entries:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            for account_id, visitor_id, record, _ in entries:
                pipe.hset(self._hash(account_id), visitor_id, json.dumps(record, separators=(",", ":")))
            pipe.zadd(self.seen_key, {f"{a}|{v}": seen for a, v, _, seen in entries})
            await pipe.execute()

    async def put_missing(self, entries: list[tuple[str, str, Record, float]]) -> None:
        if not entries:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            for account_id, visitor_id, record, _ in entries:
                pipe.hsetnx(self._hash(account_id), visitor_id, json.dumps(record, separators=(",", ":")))
            pipe.zadd(self.seen_key, {f"{a}|{v}": seen for a, v, _, seen in entries}, nx=True)
            await pipe.execute()

    async def get(self, account_id: str, visitor_id: str) -> Record | None:
        raw = await self.redis.hget(self._hash(account_id), visitor_id)
        return json.loads(raw) if raw else None

    async def recent(self, account_id: str, since: float) -> list[Record]:
        values = await self.redis.hvals(self._hash(account_id))
        records = [json.loads(v) for v in values]
        return [r for r in records if _epoch(r.get("last_seen_at")) >= since]

    async def remove(self, account_id: str, visitor_id: str) -> bool:
        removed = await self.redis.zrem(self.seen_key, f"{account_id}|{visitor_id}")
        await self.redis.hdel(self._hash(account_id), visitor_id)
        return bool(removed)

    async def expire(self, before: float) -> list[tuple[str, str]]:
        members = await self.redis.zrangebyscore(self.seen_key, "-inf", f"({before}", start=0, num=5000)
        gone = []
        for raw in members:
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            # ZREM answers 1 to exactly one replica: that one announces the departure.
            if await self.redis.zrem(self.seen_key, member):
                account_id, visitor_id = member.split("|", 1)
                await self.redis.hdel(self._hash(account_id), visitor_id)
                gone.append((account_id, visitor_id))
        return gone

    async def close(self) -> None:
        await self.redis.aclose()


def _epoch(value: Any) -> float:
    if not isinstance(value, str):
        return 0.0
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return 0.0
