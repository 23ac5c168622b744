"""Offers taken back and chats offered again (ROUTE-4): nothing waits while someone could take it.

- `route`: offer what can be offered now, in the caller's transaction (after a change that may free room:
  an operator online, a capacity raised, a chat closed, a member added, a new chat).
- `RoutingTurns`: the routing of new chats and of operators whose room grew, coalesced per account within a
  service app (`route_new`, `route_freed`).
- `withdraw`: an operator no longer online (their call, a supervisor's, the presence sweep) gets no offers:
  theirs go back to the queue, and `route` offers them to the others in the same transaction.
- `expire_offers`: an offer not accepted within `OFFER_TIMEOUT_SECONDS` goes to the next operator; the one
  who let it expire is asked again only when nobody else can take it (`passed_over`).
- `fail_over`: a chat waiting in a queue with a failover longer than the queue's `max_wait_seconds` (and not
  answered by the operator it is offered to) moves to the failover queue, and is offered there.
- `route_by_webhook`: a new chat of an `external_webhook` queue, offered to whom its router names.
- `RoutingSweeper`: each replica expires offers and fails chats over every `EXPIRY_SECONDS`, and every
  `ROUTE_SECONDS` offers the waiting chats of accounts that have some (a safety net for a replica that died
  between a commit and its routing); every change runs under the account's routing lock, so replicas never
  decide twice.
"""

import asyncio
import logging
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import realtime
from services.chat.api.schemas import ConversationOut
from services.chat.models import conversations, queues
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import assignment, webhook
from services.chat.routing.assignment import candidates_of, offer_waiting
from services.chat.routing.capacity import default_max_chats, lock_account
from services.common.db import Database, utcnow
from services.common.periodic import Periodic
from services.common.service import ServiceRuntime

log = logging.getLogger("floorwalker.chat.routing")
EXPIRY_SECONDS = 0.5
ROUTE_SECONDS = 2.0
SWEEP_BATCH = 200
NO_OFFER = {"offered_user_id": None, "offered_at": None, "offer_expires_at": None}


async def route(
    conn: AsyncConnection,
    runtime: ServiceRuntime,
    account_id: str,
    now: datetime,
    default_max: int,
    *,
    chats: Sequence[str] | None = None,
    users: Sequence[str] | None = None,
) -> list[Frame]:
    """Offer the account's waiting chats that can be offered (the caller holds the lock: `default_max` is
    what `lock_account` returned); the frames to publish after the commit. `chats`: only these new or returned
    chats; `users`: only to these operators, whose room grew (`assignment.offer_waiting`)."""
    settings = runtime.settings
    grace = settings.routing_webhook_timeout_seconds + 1
    offers = await offer_waiting(
        conn, account_id, default_max, now, settings.offer_timeout_seconds, grace, chats=chats, users=users
    )
    return [offer.frame for offer in offers]


class RoutingTurns:
    """Routing coalesced per account within a service app: new chats (`route(chats=...)`) and operators whose room
    grew (`route(users=...)`). While one transaction routes for an account, the requests that arrive meanwhile
    wait (for the process's turn, holding no database connection) and are then routed together, in one
    transaction under the lock. When 100 operators come online at once, each chat process takes the lock a few
    times instead of once per operator (each waiter for the database lock held a pooled connection: 20 of them
    emptied the pool); when chats arrive faster than one decision a time can take them (each decision is a dozen
    statements, each a wait for the event loop on a busy machine), a decision offers all that arrived meanwhile.
    Each caller returns once the routing that covered it is committed and its frames are published."""

    def __init__(self) -> None:
        self._turns: dict[str, asyncio.Lock] = {}
        self._pending: dict[str, list[tuple[str, str, asyncio.Future[None]]]] = {}

    async def route(
        self, runtime: ServiceRuntime, frames: PendingFrames, account_id: str, *, user_id: str = "", chat_id: str = ""
    ) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(account_id, []).append((user_id, chat_id, done))
        turn = self._turns.setdefault(account_id, asyncio.Lock())
        async with turn:
            if done.done():  # routed with an earlier batch
                return done.result()
            batch = self._pending.pop(account_id, [])
            try:
                async with runtime.db.transaction() as conn:
                    default_max = await lock_account(conn, account_id)
                    now = utcnow()
                    chats = sorted({chat for _, chat, _ in batch if chat})
                    users = sorted({user for user, _, _ in batch if user})
                    staged = await route(conn, runtime, account_id, now, default_max, chats=chats) if chats else []
                    if users:
                        staged += await route(conn, runtime, account_id, now, default_max, users=users)
                await publish(runtime, frames, staged)
            except BaseException as exc:
                for _, _, waiter in batch:
                    if waiter is not done and not waiter.done():
                        waiter.set_exception(exc if isinstance(exc, Exception) else RuntimeError("routing cancelled"))
                raise
            for _, _, waiter in batch:
                if not waiter.done():
                    waiter.set_result(None)
        if not turn.locked() and not self._pending.get(account_id):
            self._turns.pop(account_id, None)


_TURNS: "weakref.WeakKeyDictionary[Database, RoutingTurns]" = weakref.WeakKeyDictionary()


def _turns(runtime: ServiceRuntime) -> RoutingTurns:
    turns = _TURNS.get(runtime.db)
    if turns is None:
        turns = _TURNS[runtime.db] = RoutingTurns()
    return turns


async def route_freed(runtime: ServiceRuntime, frames: PendingFrames, account_id: str, user_id: str) -> None:
    """Offer the operator (whose room grew: they came online, a chat of theirs closed) the waiting chats they can
    take, with those of this service app's other routing requests of the account meanwhile (`RoutingTurns`)."""
    await _turns(runtime).route(runtime, frames, account_id, user_id=user_id)


async def route_new(runtime: ServiceRuntime, frames: PendingFrames, account_id: str, conversation_id: str) -> None:
    """Offer a new chat (committed, waiting in its queue), with this service app's other routing requests of the
    account meanwhile (`RoutingTurns`): an older chat of its queue nobody is offered still goes first."""
    await _turns(runtime).route(runtime, frames, account_id, chat_id=conversation_id)


async def waits_for(runtime: ServiceRuntime, account_id: str, user_id: str) -> bool:
    """A chat nobody is offered waits in one of the operator's queues (read without the lock, before `route`)."""
    async with runtime.db.reading() as conn:
        return await assignment.waits_for(conn, account_id, user_id)


async def route_by_webhook(
    runtime: ServiceRuntime, frames: PendingFrames, account_id: str, conversation_id: str
) -> None:
    """A new chat of an `external_webhook` queue: ask its router (no transaction open meanwhile), then offer it
    to the operator named, or to the least busy when the router failed (`webhook`)."""
    async with runtime.db.reading() as conn:
        row = await conn.execute(
            select(conversations, queues.c.strategy, queues.c.webhook_url, queues.c.webhook_secret)
            .join(queues, queues.c.id == conversations.c.queue_id)
            .where(conversations.c.account_id == account_id, conversations.c.id == conversation_id)
        )
        found = row.mappings().first()
        if found is None or found["strategy"] != "external_webhook" or found["offered_user_id"] is not None:
            return
        candidates = await candidates_of(conn, account_id, found["queue_id"], await default_max_chats(conn, account_id))
    hint = None
    if candidates and found["webhook_url"] and found["webhook_secret"]:
        payload = {
            "conversation_id": conversation_id,
            "queue_id": found["queue_id"],
            "visitor_id": found["visitor_id"],
            "site_id": found["site_id"],
            "candidates": candidates,
        }
        timeout = runtime.settings.routing_webhook_timeout_seconds
        hint = await webhook.ask(
            found["webhook_url"],
            found["webhook_secret"],
            payload,
            timeout,
            private_addresses=runtime.settings.routing_webhook_private_addresses,
        )
    settings = runtime.settings
    async with runtime.db.transaction() as conn:
        default_max = await lock_account(conn, account_id)
        made = await offer_waiting(
            conn, account_id, default_max, utcnow(), settings.offer_timeout_seconds, hints={conversation_id: hint}
        )
    await publish(runtime, frames, [offer.frame for offer in made])


async def _updated(conn: AsyncConnection, row: RowMapping) -> Frame:
    conversation = ConversationOut.model_validate(dict(row))
    body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
    frame = realtime.stage(conversation.account_id, None, body)
    await realtime.add(conn, frame)
    return frame


async def withdraw(conn: AsyncConnection, account_id: str, user_id: str) -> list[Frame]:
    """Take back every offer made to this operator (under the lock); the chats wait for `route` again."""
    theirs = (
        (conversations.c.account_id == account_id)
        & (conversations.c.state == "waiting")
        & (conversations.c.offered_user_id == user_id)
    )
    query = update(conversations).where(theirs).values(**NO_OFFER).returning(conversations)
    rows = (await conn.execute(query)).mappings().all()
    return [await _updated(conn, row) for row in rows]


async def publish(runtime: ServiceRuntime, frames: PendingFrames, staged: list[Frame]) -> None:
    """After the commit: wake the outbox relay and publish the frames."""
    runtime.after_commit()
    for frame in staged:
        await frames.publish(frame)


async def expire_offers(runtime: ServiceRuntime, frames: PendingFrames, now: datetime | None = None) -> int:
    """Offers older than their expiry go to the next operator; returns how many expired."""
    now = now or utcnow()
    due = (conversations.c.state == "waiting") & (conversations.c.offer_expires_at < now)
    query = select(conversations.c.account_id, conversations.c.id).where(due).limit(SWEEP_BATCH)
    async with runtime.db.reading() as conn:
        found = list(await conn.execute(query))
    by_account: dict[str, list[str]] = {}
    for account_id, conversation_id in found:
        by_account.setdefault(account_id, []).append(conversation_id)
    expired = 0
    for account_id, ids in by_account.items():
        async with runtime.db.transaction() as conn:
            default_max = await lock_account(conn, account_id)
            staged: list[Frame] = []
            rows = (await conn.execute(select(conversations).where(due, conversations.c.id.in_(ids)))).mappings().all()
            for row in rows:  # still due under the lock (another replica, or an accept, was not first)
                passed = [*(row["passed_over"] or []), row["offered_user_id"]]
                still = (
                    due
                    & (conversations.c.id == row["id"])
                    & (conversations.c.offered_user_id == row["offered_user_id"])
                )
                change = update(conversations).where(still).values(**NO_OFFER, passed_over=passed)
                changed = (await conn.execute(change.returning(conversations))).mappings().first()
                if changed is not None:  # not accepted or closed meanwhile (those take no lock)
                    staged.append(await _updated(conn, changed))
                    expired += 1
            staged += await route(conn, runtime, account_id, now, default_max)
        await publish(runtime, frames, staged)
    return expired


async def fail_over(runtime: ServiceRuntime, frames: PendingFrames, now: datetime | None = None) -> int:
    """Move the chats that waited too long in their queue to its failover queue; returns how many moved."""
    now = now or utcnow()
    waiting = (
        select(
            conversations.c.account_id,
            conversations.c.id,
            conversations.c.created_at,
            conversations.c.queued_at,
            queues.c.max_wait_seconds,
        )
        .join(queues, queues.c.id == conversations.c.queue_id)
        .where(
            conversations.c.state == "waiting",
            queues.c.failover_queue_id.is_not(None),
            conversations.c.offered_user_id.is_(None) | conversations.c.offer_expires_at.is_not(None),
        )
        .limit(SWEEP_BATCH)
    )
    async with runtime.db.reading() as conn:
        rows = list(await conn.execute(waiting))
    by_account: dict[str, list[str]] = {}
    for account_id, conversation_id, created_at, queued_at, max_wait in rows:
        if (queued_at or created_at) + timedelta(seconds=max_wait) <= now:
            by_account.setdefault(account_id, []).append(conversation_id)
    moved = 0
    for account_id, ids in by_account.items():
        async with runtime.db.transaction() as conn:
            default_max = await lock_account(conn, account_id)
            staged: list[Frame] = []
            for conversation_id, queue_id, since, max_wait, failover in await conn.execute(
                select(
                    conversations.c.id,
                    conversations.c.queue_id,
                    func.coalesce(conversations.c.queued_at, conversations.c.created_at),
                    queues.c.max_wait_seconds,
                    queues.c.failover_queue_id,
                )
                .join(queues, queues.c.id == conversations.c.queue_id)
                .where(conversations.c.id.in_(ids), conversations.c.state == "waiting")
            ):
                since = since if since.tzinfo else since.replace(tzinfo=UTC)
                if failover is None or since + timedelta(seconds=max_wait) > now:
                    continue  # changed meanwhile (another replica moved it, the queue was edited)
                change = update(conversations).where(
                    conversations.c.id == conversation_id,
                    conversations.c.queue_id == queue_id,
                    conversations.c.state == "waiting",
                )
                values = {**NO_OFFER, "queue_id": failover, "queued_at": now, "passed_over": None}
                changed = (await conn.execute(change.values(**values).returning(conversations))).mappings().first()
                if changed is not None:
                    staged.append(await _updated(conn, changed))
                    moved += 1
            staged += await route(conn, runtime, account_id, now, default_max)
        await publish(runtime, frames, staged)
    return moved


async def route_waiting(runtime: ServiceRuntime, frames: PendingFrames, now: datetime | None = None) -> int:
    """Offer the waiting chats of every account that has unoffered ones; returns how many were offered."""
    now = now or utcnow()
    waiting = (
        (conversations.c.state == "waiting")
        & conversations.c.offered_user_id.is_(None)
        & conversations.c.queue_id.is_not(None)
    )
    async with runtime.db.reading() as conn:
        accounts = list(await conn.scalars(select(conversations.c.account_id).where(waiting).distinct().limit(100)))
    offered = 0
    for account_id in accounts:
        async with runtime.db.transaction() as conn:
            staged = await route(conn, runtime, account_id, now, await lock_account(conn, account_id))
        offered += len(staged)
        await publish(runtime, frames, staged)
    return offered


class RoutingSweeper(Periodic):
    """Every replica runs one; the routing lock makes each expiry and offer happen once."""

    interval = EXPIRY_SECONDS

    def __init__(self, frames: PendingFrames) -> None:
        super().__init__()
        self.frames = frames
        self._next_route = 0.0

    async def tick(self, runtime: ServiceRuntime) -> None:
        await expire_offers(runtime, self.frames)
        await fail_over(runtime, self.frames)
        now = asyncio.get_running_loop().time()
        if now >= self._next_route:
            self._next_route = now + ROUTE_SECONDS
            await route_waiting(runtime, self.frames)
