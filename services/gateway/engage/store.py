"""The invitations waiting for their visitor's answer: shared by every gateway replica (Redis), or in memory
(embedded). Each is answered once: of two tabs (or replicas) answering it at once, one takes it (`take`), and
an expired one is claimed by one sweeper (`due`). `mark_shown` is true once per invitation.

Redis: a hash per visitor, `<prefix>:inv:v:<visitor_id>` (`<invitation_id>` -> the invitation's JSON,
`<invitation_id>:shown` -> 1), kept a minute past its last invitation's expiry, and one sorted set of
deadlines, `<prefix>:inv:due` (`<visitor_id> <invitation_id>` by expiry time).
"""

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import cast

from redis.asyncio import Redis

from services.common.db import utcnow
from services.gateway.engage.contract import Invitation

DUE_BATCH = 100
KEEP_AFTER_EXPIRY = 60  # seconds a visitor's hash outlives its last invitation's expiry


class PendingInvitations(ABC):
    @abstractmethod
    async def add(self, invitation: Invitation) -> bool:
        """Keep it until answered or expired; False when it was kept already."""

    @abstractmethod
    async def pending(self, visitor_id: str) -> list[Invitation]:
        """The visitor's invitations not answered nor expired, oldest first."""

    @abstractmethod
    async def mark_shown(self, visitor_id: str, invitation_id: str) -> Invitation | None:
        """The invitation, the first time it is reported shown; else None (shown before, or not pending)."""

    @abstractmethod
    async def take(self, visitor_id: str, invitation_id: str) -> tuple[Invitation, bool] | None:
        """Remove it for an answer: (it, whether it was shown), for exactly one caller; None when gone."""

    @abstractmethod
    async def due(self) -> list[tuple[Invitation, bool]]:
        """Claim (once, whichever replica asks) the invitations whose time is up, with whether shown."""

    async def close(self) -> None:
        return None


@dataclass
class MemoryInvitations(PendingInvitations):
    invitations: dict[str, dict[str, Invitation]] = field(default_factory=dict)  # by visitor, by id
    shown: set[str] = field(default_factory=set)

    async def add(self, invitation: Invitation) -> bool:
        mine = self.invitations.setdefault(invitation.visitor_id, {})
        if invitation.invitation_id in mine:
            return False
        mine[invitation.invitation_id] = invitation
        return True

    async def pending(self, visitor_id: str) -> list[Invitation]:
        now = utcnow()
        found = self.invitations.get(visitor_id, {}).values()
        return sorted((i for i in found if i.expires_at > now), key=lambda i: i.offered_at)

    async def mark_shown(self, visitor_id: str, invitation_id: str) -> Invitation | None:
        invitation = self.invitations.get(visitor_id, {}).get(invitation_id)
        if invitation is None or invitation_id in self.shown:
            return None
        self.shown.add(invitation_id)
        return invitation

    async def take(self, visitor_id: str, invitation_id: str) -> tuple[Invitation, bool] | None:
        mine = self.invitations.get(visitor_id, {})
        invitation = mine.pop(invitation_id, None)
        if not mine:
            self.invitations.pop(visitor_id, None)
        if invitation is None:
            return None
        shown = invitation_id in self.shown
        self.shown.discard(invitation_id)
        return invitation, shown

    async def due(self) -> list[tuple[Invitation, bool]]:
        now = utcnow()
        expired = [i for mine in self.invitations.values() for i in mine.values() if i.expires_at <= now]
        claimed = []
        for invitation in expired[:DUE_BATCH]:
            taken = await self.take(invitation.visitor_id, invitation.invitation_id)
            if taken is not None:
                claimed.append(taken)
        return claimed


class RedisInvitations(PendingInvitations):
    def __init__(self, url: str, prefix: str) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.prefix = prefix
        self.due_key = f"{prefix}:inv:due"

    def _key(self, visitor_id: str) -> str:
        return f"{self.prefix}:inv:v:{visitor_id}"

    async def add(self, invitation: Invitation) -> bool:
        key = self._key(invitation.visitor_id)
        if not await self.redis.hsetnx(key, invitation.invitation_id, invitation.model_dump_json()):
            return False
        deadline = invitation.expires_at.timestamp()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.due_key, {f"{invitation.visitor_id} {invitation.invitation_id}": deadline})
            pipe.expireat(key, int(deadline) + KEEP_AFTER_EXPIRY, gt=True)  # never sooner than another's
            pipe.expireat(key, int(deadline) + KEEP_AFTER_EXPIRY, nx=True)  # (GT leaves a key without expiry)
            await pipe.execute()
        return True

    async def pending(self, visitor_id: str) -> list[Invitation]:
        now = utcnow()
        stored = cast(dict[bytes, bytes], await self.redis.hgetall(self._key(visitor_id)))
        found = [
            Invitation.model_validate_json(value) for name, value in stored.items() if not name.endswith(b":shown")
        ]
        return sorted((i for i in found if i.expires_at > now), key=lambda i: i.offered_at)

    async def mark_shown(self, visitor_id: str, invitation_id: str) -> Invitation | None:
        key = self._key(visitor_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(key, invitation_id)
            pipe.hsetnx(key, f"{invitation_id}:shown", 1)
            value, first = await pipe.execute()
        if value is None:
            await self.redis.hdel(key, f"{invitation_id}:shown")  # answered meanwhile: leave nothing behind
            return None
        return Invitation.model_validate_json(value) if first else None

    async def take(self, visitor_id: str, invitation_id: str) -> tuple[Invitation, bool] | None:
        key = self._key(visitor_id)
        async with self.redis.pipeline(transaction=True) as pipe:  # MULTI: one of concurrent takes gets it
            pipe.hget(key, invitation_id)
            pipe.hget(key, f"{invitation_id}:shown")
            pipe.hdel(key, invitation_id, f"{invitation_id}:shown")
            pipe.zrem(self.due_key, f"{visitor_id} {invitation_id}")
            value, shown, _, _ = await pipe.execute()
        if value is None:
            return None
        return Invitation.model_validate_json(value), shown is not None

    async def due(self) -> list[tuple[Invitation, bool]]:
        due = await self.redis.zrangebyscore(self.due_key, "-inf", time.time(), start=0, num=DUE_BATCH)
        members = cast(list[bytes], due)
        claimed = []
        for member in members:
            if not await self.redis.zrem(self.due_key, member):
                continue  # another replica's
            visitor_id, invitation_id = member.decode().split(" ", 1)
            taken = await self.take(visitor_id, invitation_id)
            if taken is not None:
                claimed.append(taken)
        return claimed

    async def close(self) -> None:
        await self.redis.aclose()


def pending_invitations(redis_url: str | None, prefix: str) -> PendingInvitations:
    return RedisInvitations(redis_url, prefix) if redis_url else MemoryInvitations()
