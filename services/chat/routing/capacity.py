"""The account's routing lock and what an operator can take: capacity (their override, else the account's
default) and load (active chats assigned to them plus waiting chats offered to them now).

`lock_account` is the first statement of every transaction that offers chats or changes what routing reads
(a status, a capacity, a membership, an accept, a close): an upsert of the account's settings row that keeps its
value. On PostgreSQL it holds that row's lock until the commit, so chat replicas take routing decisions of one
account one at a time; on SQLite, a write as the first statement takes the database's one write lock at once
(`BEGIN IMMEDIATE` semantics, no snapshot read before it). Whatever runs under it sees every earlier decision.
Its waits and holds (from taking it to the connection's return to the pool, the commit included) are the
Prometheus histograms `fw_routing_lock_wait_seconds` and `fw_routing_lock_held_seconds` (`bench/routing.py`
prints them per phase).
"""

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import Select, case, event, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import Pool

from services.chat.models import account_settings, conversations, operators
from services.common.db import upsert_insert

DEFAULT_MAX_CHATS = 3
LOCK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LOCK_WAIT = Histogram(
    "fw_routing_lock_wait_seconds", "Waits for an account's routing lock (its statement)", buckets=LOCK_BUCKETS
)
LOCK_HELD = Histogram(
    "fw_routing_lock_held_seconds",
    "An account's routing lock held: from taking it to its connection's return (the commit included)",
    buckets=LOCK_BUCKETS,
)
_TAKEN = "fw_routing_lock_taken"


def _released(_dbapi_connection: Any, record: Any) -> None:
    taken = record.info.pop(_TAKEN, None) if record is not None else None
    if taken is not None:
        LOCK_HELD.observe(time.perf_counter() - taken)


event.listen(Pool, "checkin", _released)


async def default_max_chats(conn: AsyncConnection, account_id: str) -> int:
    query = select(account_settings.c.default_max_chats).where(account_settings.c.account_id == account_id)
    value = await conn.scalar(query)
    return int(value) if value is not None else DEFAULT_MAX_CHATS


async def lock_account(conn: AsyncConnection, account_id: str) -> int:
    """Take the account's routing lock (until the transaction ends); returns its default capacity."""
    insert = upsert_insert(conn, account_settings).values(account_id=account_id, default_max_chats=DEFAULT_MAX_CHATS)
    keep = {"default_max_chats": account_settings.c.default_max_chats}
    statement = insert.on_conflict_do_update(index_elements=["account_id"], set_=keep).returning(
        account_settings.c.default_max_chats
    )
    started = time.perf_counter()
    value = int((await conn.execute(statement)).scalar_one())
    taken = time.perf_counter()
    conn.info[_TAKEN] = taken
    LOCK_WAIT.observe(taken - started)
    return value


def load_query(account_id: str, user_ids: Iterable[str] | None = None) -> Select[str, int]:
    """Each operator's load (columns `user_id`, `load`): active chats assigned to them plus waiting chats offered
    to them (of these operators, when given)."""
    holder = case(
        (conversations.c.state == "active", conversations.c.assigned_user_id), else_=conversations.c.offered_user_id
    )
    ids = None if user_ids is None else list(user_ids)
    if ids is None:
        active, offered = conversations.c.assigned_user_id.is_not(None), conversations.c.offered_user_id.is_not(None)
    else:
        active, offered = conversations.c.assigned_user_id.in_(ids), conversations.c.offered_user_id.in_(ids)
    return (
        select(holder.label("user_id"), func.count().label("load"))
        .where(
            conversations.c.account_id == account_id,
            or_((conversations.c.state == "active") & active, (conversations.c.state == "waiting") & offered),
        )
        .group_by(holder)
    )


async def loads(conn: AsyncConnection, account_id: str, user_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Each operator's load: active chats assigned to them plus waiting chats offered to them."""
    ids = None if user_ids is None else list(user_ids)
    found = {row[0]: int(row[1]) for row in await conn.execute(load_query(account_id, ids))}
    if ids is None:
        return found
    return {user_id: found.get(user_id, 0) for user_id in ids}


async def active_chats(conn: AsyncConnection, account_id: str, user_ids: list[str]) -> dict[str, int]:
    """Active chats assigned to each of these operators (what presence shows as their load)."""
    if not user_ids:
        return {}
    query = (
        select(conversations.c.assigned_user_id, func.count())
        .where(
            conversations.c.account_id == account_id,
            conversations.c.state == "active",
            conversations.c.assigned_user_id.in_(user_ids),
        )
        .group_by(conversations.c.assigned_user_id)
    )
    return {row[0]: int(row[1]) for row in await conn.execute(query)}


async def capacity_of(conn: AsyncConnection, account_id: str, user_id: str, default_max: int) -> int:
    """The operator's maximum of concurrent chats: their override, else the account's default."""
    query = select(operators.c.max_chats).where(operators.c.account_id == account_id, operators.c.user_id == user_id)
    own = await conn.scalar(query)
    return int(own) if own is not None else default_max
