"""Operators' presence (ROUTE-2): status, capacity and load, kept in chat's database (every gateway and chat
replica sees the same), announced to the account's consoles as `presence.updated` frames.

A user is in `chat_operators` once their console reported (any `/me/presence` call, or a heartbeat of their
socket). `seen_at` is the last sign of a console: the gateways send a heartbeat for every operator socket
they hold every `PRESENCE_HEARTBEAT_SECONDS`; an operator not offline whose console has given no sign for
`PRESENCE_GRACE_SECONDS` (a socket that dropped without a goodbye, a gateway that died) is turned offline
by any chat replica's sweep (a conditional UPDATE: one replica wins each, so the frame goes out once).
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, RowMapping, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import realtime
from services.chat.api.queue_schemas import Colleague, PresenceOut, PresenceStatus
from services.chat.models import account_settings, operators, queue_members
from services.chat.realtime import PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import DEFAULT_MAX_CHATS, active_chats, default_max_chats, loads, lock_account
from services.chat.routing.presence_events import add_presence_changed
from services.common.db import upsert_insert, utcnow
from services.common.errors import NotFound
from services.common.periodic import Periodic
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

log = logging.getLogger("floorwalker.chat.presence")
SWEEP_SECONDS = 1.0
__all__ = ["DEFAULT_MAX_CHATS", "default_max_chats"]


def _missing() -> NotFound:
    return NotFound("No such operator.", code="user_not_found")


async def _out(conn: AsyncConnection, account_id: str, rows: Sequence[RowMapping]) -> list[PresenceOut]:
    default = await default_max_chats(conn, account_id)
    loads = await active_chats(conn, account_id, [r["user_id"] for r in rows])
    return [
        PresenceOut(
            user_id=r["user_id"],
            name=r["name"],
            status=r["status"],
            status_changed_at=r["status_changed_at"],
            max_chats=r["max_chats"] or default,
            max_chats_override=r["max_chats"],
            active_chats=loads.get(r["user_id"], 0),
            languages=list(r["languages"] or []),
        )
        for r in rows
    ]


def _owned(account_id: str, user_id: str) -> ColumnElement[bool]:
    return and_(operators.c.account_id == account_id, operators.c.user_id == user_id)


async def _row(conn: AsyncConnection, account_id: str, user_id: str) -> RowMapping | None:
    query = select(operators).where(operators.c.account_id == account_id, operators.c.user_id == user_id)
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def touch(conn: AsyncConnection, user: Identity, now: datetime) -> None:
    """Record that this user's console is there (a first one: offline until they say otherwise)."""
    assert user.user_id
    values = {
        "account_id": user.account_id,
        "user_id": user.user_id,
        "name": user.name,
        "role": user.role or "operator",
        "status": "offline",
        "status_changed_at": now,
        "seen_at": now,
    }
    insert = upsert_insert(conn, operators).values(**values)
    changed = {"name": user.name, "role": user.role or "operator", "seen_at": now}
    await conn.execute(insert.on_conflict_do_update(index_elements=["account_id", "user_id"], set_=changed))


async def _announce(conn: AsyncConnection, account_id: str, row: RowMapping) -> realtime.Frame:
    return (await _announced(conn, account_id, row))[0]


async def _announced(conn: AsyncConnection, account_id: str, row: RowMapping) -> tuple[realtime.Frame, PresenceOut]:
    """The `presence.updated` frame of the operator's row (written in the transaction), and their presence."""
    [presence] = await _out(conn, account_id, [row])
    body = {"type": "presence.updated", "presence": presence.model_dump(mode="json")}
    frame = realtime.stage(account_id, None, body)
    await realtime.add(conn, frame)
    return frame, presence


async def mine(runtime: ServiceRuntime, user: Identity) -> PresenceOut:
    async with runtime.db.transaction() as conn:
        await touch(conn, user, utcnow())
        row = await _row(conn, user.account_id, user.user_id or "")
        assert row is not None
        [presence] = await _out(conn, user.account_id, [row])
    return presence


async def set_mine(
    runtime: ServiceRuntime, frames: PendingFrames, user: Identity, status: PresenceStatus
) -> PresenceOut:
    return await set_status(runtime, frames, user, user.user_id or "", status, own=True)


async def set_status(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    caller: Identity,
    user_id: str,
    status: PresenceStatus,
    own: bool = False,
) -> PresenceOut:
    """Set a known operator's status (theirs, a supervisor's call, a telephony integration's `phone`). Not
    online: under the routing lock, the chats offered to them go to others; online: waiting chats are offered to
    them at once. `own`: the caller's own call, which makes them known first (`touch`, in the same transaction).

    Their own call to go online takes no routing lock for the change itself (it only adds a candidate: a decision
    made meanwhile either sees them or not, and both are right; it writes their row only, so it waits for no lock
    a holder of the routing lock waits for); then a second transaction routes under the lock, with those of the
    operators who came online meanwhile (`offers.FreedRoom`: only the chats they can take). When 100 operators come
    online at once, the lock so serializes only their routing, not their status writes and events."""
    now = utcnow()
    unlocked = status == "online" and caller.user_id == user_id  # their row only: no lock order to keep
    async with runtime.db.transaction() as conn:
        if unlocked:
            default_max = await default_max_chats(conn, caller.account_id)
        else:
            default_max = await lock_account(conn, caller.account_id)
        if own:
            await touch(conn, caller, now)
        row = await _row(conn, caller.account_id, user_id)
        if row is None:
            raise _missing()
        values: dict[str, object] = {"status": status}
        if caller.user_id == user_id:  # their own call is a sign of their console; a supervisor's is not
            values["seen_at"] = now
        if row["status"] != status:
            values["status_changed_at"] = now
        changed = row["status"] != status
        query = update(operators).where(_owned(caller.account_id, user_id)).values(**values).returning(operators)
        row = (await conn.execute(query)).mappings().one()
        frame, presence = await _announced(conn, caller.account_id, row)
        staged = (
            [] if unlocked else await _rerouted(conn, runtime, caller.account_id, user_id, status, now, default_max)
        )
        if changed:
            await add_presence_changed(conn, caller.account_id, [user_id], now)
    await frames.publish(frame)
    await offers.publish(runtime, frames, staged)
    if unlocked:  # always (not only when `waits_for`): a chat whose routing missed them commits before this lock
        await offers.route_freed(runtime, frames, caller.account_id, user_id)
    return presence


async def _rerouted(
    conn: AsyncConnection,
    runtime: ServiceRuntime,
    account_id: str,
    user_id: str,
    status: str,
    now: datetime,
    default_max: int,
) -> list[realtime.Frame]:
    """Under the routing lock, after a status change: online, the waiting chats they can take are offered to them;
    otherwise their offers go back to the queue and are offered to the others."""
    if status == "online":
        return await offers.route(conn, runtime, account_id, now, default_max, users=[user_id])
    staged = await offers.withdraw(conn, account_id, user_id)
    if not staged:
        return []
    returned = [frame.body["conversation"]["id"] for frame in staged]
    return staged + await offers.route(conn, runtime, account_id, now, default_max, chats=returned)


async def set_capacity(
    runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, user_id: str, max_chats: int | None
) -> PresenceOut:
    now = utcnow()
    async with runtime.db.transaction() as conn:
        default_max = await lock_account(conn, caller.account_id)
        if await _row(conn, caller.account_id, user_id) is None:
            raise _missing()
        query = update(operators).where(_owned(caller.account_id, user_id)).values(max_chats=max_chats)
        row = (await conn.execute(query.returning(operators))).mappings().one()
        frame = await _announce(conn, caller.account_id, row)
        [presence] = await _out(conn, caller.account_id, [row])
        await add_presence_changed(conn, caller.account_id, [user_id], now)
        held = (await loads(conn, caller.account_id, [user_id]))[user_id]
        # Lowered below what they hold: their offers go back (routing then offers what fits, to them or others).
        staged = await offers.withdraw(conn, caller.account_id, user_id) if held > (max_chats or default_max) else []
        staged += await offers.route(conn, runtime, caller.account_id, now, default_max)
    await frames.publish(frame)
    await offers.publish(runtime, frames, staged)
    return presence


async def set_default_capacity(runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, max_chats: int) -> int:
    """The account's default capacity; every operator without an override has a new capacity (an event each)."""
    now = utcnow()
    async with runtime.db.transaction() as conn:
        insert = upsert_insert(conn, account_settings).values(account_id=caller.account_id, default_max_chats=max_chats)
        update_ = {"default_max_chats": max_chats}
        await conn.execute(insert.on_conflict_do_update(index_elements=["account_id"], set_=update_))  # the lock
        default_users = select(operators.c.user_id).where(
            operators.c.account_id == caller.account_id, operators.c.max_chats.is_(None)
        )
        await add_presence_changed(conn, caller.account_id, list(await conn.scalars(default_users)), now)
        staged = await offers.route(conn, runtime, caller.account_id, now, max_chats)
    await offers.publish(runtime, frames, staged)
    return max_chats


async def set_languages(runtime: ServiceRuntime, caller: Identity, user_id: str, languages: list[str]) -> PresenceOut:
    """The languages a known operator speaks (routing offers a chat in one of them to them first). Nothing
    routing decides on changes room, so no lock: the next decisions read it."""
    spoken = list(dict.fromkeys(languages))  # in their order, once each
    async with runtime.db.transaction() as conn:
        query = update(operators).where(_owned(caller.account_id, user_id)).values(languages=spoken or None)
        row = (await conn.execute(query.returning(operators))).mappings().first()
        if row is None:
            raise _missing()
        [presence] = await _out(conn, caller.account_id, [row])
    return presence


async def colleagues(runtime: ServiceRuntime, caller: Identity) -> list[Colleague]:
    """Every operator of the caller's account as a colleague sees them (transfer, invite): name, status, load,
    capacity and queues; nothing else (no contact details, no capacity override)."""
    async with runtime.db.reading() as conn:
        query = select(operators).where(operators.c.account_id == caller.account_id).order_by(operators.c.name)
        rows = (await conn.execute(query)).mappings().all()
        found = await _out(conn, caller.account_id, rows)
        member_of: dict[str, list[str]] = {}
        memberships = select(queue_members.c.user_id, queue_members.c.queue_id).where(
            queue_members.c.account_id == caller.account_id
        )
        for user_id, queue_id in await conn.execute(memberships.order_by(queue_members.c.queue_id)):
            member_of.setdefault(user_id, []).append(queue_id)
    return [
        Colleague(
            user_id=p.user_id,
            name=p.name,
            status=p.status,
            status_changed_at=p.status_changed_at,
            active_chats=p.active_chats,
            max_chats=p.max_chats,
            queue_ids=member_of.get(p.user_id, []),
        )
        for p in found
    ]


async def everyone(runtime: ServiceRuntime, caller: Identity) -> tuple[list[PresenceOut], int]:
    async with runtime.db.reading() as conn:
        query = select(operators).where(operators.c.account_id == caller.account_id).order_by(operators.c.name)
        rows = (await conn.execute(query)).mappings().all()
        return await _out(conn, caller.account_id, rows), await default_max_chats(conn, caller.account_id)


async def heartbeat(runtime: ServiceRuntime, users: list[Identity]) -> None:
    """The gateway holds sockets of these users: their consoles are there."""
    now = utcnow()
    async with runtime.db.transaction() as conn:
        for user in users:
            await touch(conn, user, now)


async def sweep(runtime: ServiceRuntime, frames: PendingFrames, grace: float, now: datetime | None = None) -> int:
    """Turn offline every operator whose console gave no sign for `grace` seconds; returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=grace)
    stale = select(operators.c.account_id, operators.c.user_id).where(
        operators.c.status != "offline", operators.c.seen_at < cutoff
    )
    announced: list[realtime.Frame] = []
    staged: list[realtime.Frame] = []
    async with runtime.db.reading() as conn:
        candidates = list(await conn.execute(stale.limit(500)))
    for account_id, user_id in candidates:
        async with runtime.db.transaction() as conn:
            default_max = await lock_account(conn, account_id)
            gone = _owned(account_id, user_id) & (operators.c.status != "offline") & (operators.c.seen_at < cutoff)
            query = update(operators).where(gone).values(status="offline", status_changed_at=now)
            row = (await conn.execute(query.returning(operators))).mappings().first()
            if row is not None:  # this replica turned them offline: it announces it, and their offers go back
                announced.append(await _announce(conn, account_id, row))
                await add_presence_changed(conn, account_id, [user_id], now)
                staged += await _rerouted(conn, runtime, account_id, user_id, "offline", now, default_max)
    for frame in announced:
        await frames.publish(frame)
    await offers.publish(runtime, frames, staged)
    return len(announced)


class PresenceSweeper(Periodic):
    """Every replica sweeps; the conditional UPDATE makes each change (and its frame) happen once."""

    interval = SWEEP_SECONDS

    def __init__(self, frames: PendingFrames) -> None:
        super().__init__()
        self.frames = frames

    async def tick(self, runtime: ServiceRuntime) -> None:
        await sweep(runtime, self.frames, runtime.settings.presence_grace_seconds)
