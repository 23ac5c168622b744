"""Where the live rules keep each visitor's live state and rule history (`LiveVisitor`), shared by the rules
replicas so that the visitor's page views, read by whichever replica's consumer, add up to one state, and a
firing is decided once.

- `MemoryVisitors` (embedded, one process): a dict; `locked` is an asyncio lock per visitor.
- `RedisVisitors` (distributed): `<prefix>:rules:visitor:<id>` holds the visitor as JSON (expiring after
  `LIVE_IDLE` without a change), `<prefix>:rules:live:<account>` the account's live visitors (a sorted set by
  last change, for re-evaluating them when operator availability changes), `<prefix>:rules:lock:<id>` the
  lock of one read-change-write (SET NX PX with a token, taken with the read in one script; released by a Lua
  compare-and-delete in the pipeline that writes).
- `chat_started` / `chat_ended`: which visitor a conversation is of (`conversation.closed` names none), so
  that a closing read by another replica than the start still ends the visitor's "chatting"
  (`<prefix>:rules:chat:<conversation>`, a day).
- `claim(invitation_id)`: the deterministic invitation id claimed once (SET NX, kept `CLAIM_SECONDS`) before
  its frame is published: a second replica, or a redelivered event, that decides the same firing publishes
  nothing.
- `editions(names)` / `bump(name)`: a counter per book the live rules cache (`rules:<site>`, `segments:<account>`),
  moved by every edit once it is committed (`<prefix>:rules:edition:<name>`, read for many in one MGET): a replica
  whose cached copy was read at another edition reads the book again (`live.py`).

What a task holds (`RedisVisitors`: the visitors it read with their lock, written with its release) is the
task's own (a `ContextVar`): another task of the replica reading or writing the same visitor meanwhile goes to
Redis (and waits for the lock if it takes it) instead of seeing or changing the holder's copy.
"""

import asyncio
import contextlib
import contextvars
import dataclasses
import json
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from services.rules.engine import ProductSeen, RuleHistory, SearchSeen, VisitorState

LIVE_IDLE = 30 * 60.0  # a visit ends after 30 idle minutes
LOCK_MS = 5000  # a lock outlives a crashed holder this long at most
LOCK_WAIT = 5.0
CLAIM_SECONDS = 24 * 3600

# KEYS[1] the lock, KEYS[2] the visitor; ARGV[1] the token, ARGV[2] the lock's ms. Taken: {1, the visitor or nil}.
ACQUIRE_SCRIPT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, redis.call('GET', KEYS[2])} end
return {0}
"""
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class LiveVisitor:
    state: VisitorState
    history: dict[str, RuleHistory] = field(default_factory=dict)  # by rule id, this visit


STATE_FIELDS = tuple(f.name for f in dataclasses.fields(VisitorState))


def visitor_to_json(live: LiveVisitor) -> str:
    state: dict[str, Any] = {name: getattr(live.state, name) for name in STATE_FIELDS}
    state["products"] = [dataclasses.asdict(p) for p in live.state.products]
    state["searches"] = [dataclasses.asdict(s) for s in live.state.searches]
    state["tags"] = sorted(live.state.tags)
    history = {rule_id: dataclasses.asdict(h) for rule_id, h in live.history.items()}
    return json.dumps({"state": state, "history": history}, separators=(",", ":"))


def visitor_from_json(text: str | bytes) -> LiveVisitor:
    data = json.loads(text)
    state: dict[str, Any] = data["state"]
    state["products"] = tuple(ProductSeen(**p) for p in state.get("products") or ())
    state["searches"] = tuple(SearchSeen(**s) for s in state.get("searches") or ())
    state["events"] = {name: tuple(times) for name, times in (state.get("events") or {}).items()}
    state["tags"] = frozenset(state.get("tags") or ())
    history = {rule_id: RuleHistory(**h) for rule_id, h in data["history"].items()}
    return LiveVisitor(VisitorState(**state), history)


class VisitorStore(ABC):
    @abstractmethod
    def locked(self, visitor_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the visitor for one read-change-write (across replicas)."""

    @abstractmethod
    async def get(self, visitor_id: str) -> LiveVisitor | None: ...

    @abstractmethod
    async def put(self, live: LiveVisitor) -> None: ...

    @abstractmethod
    async def forget(self, visitor_id: str, account_id: str | None = None) -> None: ...

    @abstractmethod
    async def account_visitors(self, account_id: str, since: float) -> list[str]:
        """The ids of the account's visitors active since `since` (epoch seconds; older ones may be dropped)."""

    @abstractmethod
    async def claim(self, invitation_id: str) -> bool:
        """True once per invitation id (the first caller, across replicas)."""

    @abstractmethod
    async def chat_started(self, conversation_id: str, visitor_id: str) -> None: ...

    @abstractmethod
    async def chat_ended(self, conversation_id: str) -> str | None:
        """The visitor of the conversation (once), or None if its start was not seen."""

    @abstractmethod
    async def editions(self, names: Sequence[str]) -> list[int]:
        """The edition of each named book now (0 for one never edited)."""

    @abstractmethod
    async def bump(self, name: str) -> None:
        """A book was edited (and committed): its edition moves on, for every replica."""

    async def close(self) -> None:
        return None


class MemoryVisitors(VisitorStore):
    def __init__(self) -> None:
        self.visitors: dict[str, LiveVisitor] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._claimed: dict[str, float] = {}
        self._chats: dict[str, str] = {}
        self._editions: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def locked(self, visitor_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(visitor_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(visitor_id) is lock:
                del self._locks[visitor_id]

    async def get(self, visitor_id: str) -> LiveVisitor | None:
        return self.visitors.get(visitor_id)

    async def put(self, live: LiveVisitor) -> None:
        self.visitors[live.state.visitor_id] = live

    async def forget(self, visitor_id: str, account_id: str | None = None) -> None:
        self.visitors.pop(visitor_id, None)

    async def account_visitors(self, account_id: str, since: float) -> list[str]:
        return [
            vid
            for vid, live in list(self.visitors.items())
            if live.state.account_id == account_id and (live.state.last_activity_at or since) >= since
        ]

    async def claim(self, invitation_id: str) -> bool:
        now = time.time()
        if len(self._claimed) > 100_000:
            self._claimed = {k: t for k, t in self._claimed.items() if t + CLAIM_SECONDS > now}
        if invitation_id in self._claimed:
            return False
        self._claimed[invitation_id] = now
        return True

    async def chat_started(self, conversation_id: str, visitor_id: str) -> None:
        self._chats[conversation_id] = visitor_id

    async def chat_ended(self, conversation_id: str) -> str | None:
        return self._chats.pop(conversation_id, None)

    async def editions(self, names: Sequence[str]) -> list[int]:
        return [self._editions.get(name, 0) for name in names]

    async def bump(self, name: str) -> None:
        self._editions[name] = self._editions.get(name, 0) + 1


@dataclass
class _Held:
    """A visitor this process holds the lock of: read with the lock, written with its release."""

    text: bytes | None
    live: LiveVisitor | None = None
    changed: bool = False


# The visitors the current task holds (by store and visitor id); each `locked` sets a new mapping (a copy with
# one more) and restores the one before.
_HELD: contextvars.ContextVar[Mapping[tuple[int, str], _Held] | None] = contextvars.ContextVar(
    "rules_held_visitors", default=None
)


class RedisVisitors(VisitorStore):
    """Two round trips per read-change-write: the lock taken with the read (a script), the write with the
    release (one pipeline)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = f"{prefix}:rules"
        self._acquire = self.redis.register_script(ACQUIRE_SCRIPT)

    def _held(self, visitor_id: str) -> _Held | None:
        """The visitor as this task holds it (with this store's lock), or None."""
        return (_HELD.get() or {}).get((id(self), visitor_id))

    def _key(self, visitor_id: str) -> str:
        return f"{self.prefix}:visitor:{visitor_id}"

    def _index(self, account_id: str) -> str:
        return f"{self.prefix}:live:{account_id}"

    @contextlib.asynccontextmanager
    async def locked(self, visitor_id: str) -> AsyncIterator[None]:
        key, token = f"{self.prefix}:lock:{visitor_id}", uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            taken = cast(list[Any], await self._acquire(keys=[key, self._key(visitor_id)], args=[token, LOCK_MS]))
            if taken[0] == 1:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the live visitor {visitor_id} stayed locked")
            await asyncio.sleep(0.005)
        held = _Held(taken[1] if len(taken) > 1 else None)
        before = _HELD.set({**(_HELD.get() or {}), (id(self), visitor_id): held})
        try:
            yield
        finally:
            _HELD.reset(before)
            async with self.redis.pipeline(transaction=False) as pipe:
                if held.changed and held.live is not None:
                    self._write(pipe, held.live)
                pipe.eval(RELEASE_SCRIPT, 1, key, token)  # (a Script in a pipeline asks SCRIPT EXISTS each time)
                await pipe.execute()

    async def get(self, visitor_id: str) -> LiveVisitor | None:
        held = self._held(visitor_id)
        if held is not None:
            if held.live is None and held.text is not None:
                held.live = visitor_from_json(held.text)
            return held.live
        text = cast(bytes | None, await self.redis.get(self._key(visitor_id)))
        return None if text is None else visitor_from_json(text)

    def _write(self, pipe: Any, live: LiveVisitor) -> None:
        state = live.state
        pipe.set(self._key(state.visitor_id), visitor_to_json(live), ex=int(LIVE_IDLE) + 60)
        pipe.zadd(self._index(state.account_id), {state.visitor_id: state.last_activity_at or time.time()})
        pipe.expire(self._index(state.account_id), int(LIVE_IDLE) + 60)

    async def put(self, live: LiveVisitor) -> None:
        held = self._held(live.state.visitor_id)
        if held is not None:  # written with the lock's release
            held.live, held.changed = live, True
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            self._write(pipe, live)
            await pipe.execute()

    async def forget(self, visitor_id: str, account_id: str | None = None) -> None:
        held = self._held(visitor_id)
        if held is not None:
            held.live, held.text, held.changed = None, None, False
        await self.redis.delete(self._key(visitor_id))
        if account_id:
            await self.redis.zrem(self._index(account_id), visitor_id)

    async def account_visitors(self, account_id: str, since: float) -> list[str]:
        index = self._index(account_id)
        await self.redis.zremrangebyscore(index, "-inf", f"({since}")
        found = cast(list[bytes], await self.redis.zrangebyscore(index, since, "+inf"))
        return [member.decode() for member in found]

    async def claim(self, invitation_id: str) -> bool:
        return bool(await self.redis.set(f"{self.prefix}:fired:{invitation_id}", 1, nx=True, ex=CLAIM_SECONDS))

    async def chat_started(self, conversation_id: str, visitor_id: str) -> None:
        await self.redis.set(f"{self.prefix}:chat:{conversation_id}", visitor_id, ex=CLAIM_SECONDS)

    async def chat_ended(self, conversation_id: str) -> str | None:
        found = cast(bytes | None, await self.redis.getdel(f"{self.prefix}:chat:{conversation_id}"))
        return None if found is None else found.decode()

    async def editions(self, names: Sequence[str]) -> list[int]:
        if not names:
            return []
        found = cast(list[bytes | None], await self.redis.mget([f"{self.prefix}:edition:{n}" for n in names]))
        return [int(value) if value is not None else 0 for value in found]

    async def bump(self, name: str) -> None:
        await self.redis.incr(f"{self.prefix}:edition:{name}")

    async def close(self) -> None:
        await self.redis.aclose()


def visitor_store(redis_url: str | None, prefix: str) -> VisitorStore:
    return RedisVisitors(redis_url, prefix) if redis_url else MemoryVisitors()
