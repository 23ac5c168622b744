"""Departments (queues, ROUTE-1): create, read, replace, delete; members checked against the account.

A queue's members must be users of the same account that chat knows (`chat_operators`: every user whose
console reported its presence); anyone else is 422 and nothing changes. A failover queue must be another
queue of the account, and following failovers from it must never come back (422 `failover_cycle`).
Routing strategies are stored here and used by the assignment (`routing/`). Every change runs under the
account's routing lock and offers the waiting chats a new member can take at once; an operator who joins or
leaves a queue gets an `operator.presence_changed` event (their `queue_ids`).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.api.queue_schemas import QueueIn, QueueMember, QueueOut
from services.chat.hours import OpeningHours, is_open
from services.chat.models import conversations, operators, queue_members, queues
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import lock_account
from services.chat.routing.presence_events import add_presence_changed
from services.common.db import account_row, utcnow
from services.common.errors import AppError, Conflict, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MAX_QUEUES = 200  # per account


class Unprocessable(AppError):
    """422 for a body that is well formed but names something it may not (same shape as `validation_error`)."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, message: str, type_: str) -> None:
        super().__init__(f"Invalid request: {field}.", details=[{"field": field, "message": message, "type": type_}])


def _missing() -> NotFound:
    return NotFound("No such queue.", code="queue_not_found")


def queue_out(row: RowMapping, members: Sequence[RowMapping], at: datetime) -> QueueOut:
    hours = OpeningHours.model_validate(row["hours"]) if row["hours"] is not None else None
    return QueueOut(
        **{k: row[k] for k in ("id", "name", "welcome_message", "priority", "strategy", "max_wait_seconds")},
        failover_queue_id=row["failover_queue_id"],
        min_gap_seconds=row["min_gap_seconds"] or 0,
        sections=list(row["sections"]),
        hours=hours,
        members=[QueueMember(user_id=m["user_id"], priority=m["priority"]) for m in members],
        webhook_url=row["webhook_url"],
        webhook_secret_set=row["webhook_secret"] is not None,
        open_now=is_open(hours, at),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _members_of(conn: AsyncConnection, account_id: str, queue_ids: list[str]) -> dict[str, list[RowMapping]]:
    found: dict[str, list[RowMapping]] = {qid: [] for qid in queue_ids}
    if queue_ids:
        query = (
            select(queue_members)
            .where(queue_members.c.account_id == account_id, queue_members.c.queue_id.in_(queue_ids))
            .order_by(queue_members.c.priority, queue_members.c.user_id)
        )
        for member in (await conn.execute(query)).mappings():
            found[member["queue_id"]].append(member)
    return found


async def list_queues(runtime: ServiceRuntime, caller: Identity, at: datetime) -> list[QueueOut]:
    async with runtime.db.reading() as conn:
        query = (
            select(queues).where(queues.c.account_id == caller.account_id).order_by(queues.c.priority, queues.c.name)
        )
        rows = (await conn.execute(query)).mappings().all()
        members = await _members_of(conn, caller.account_id, [r["id"] for r in rows])
    return [queue_out(row, members[row["id"]], at) for row in rows]


async def get_queue(runtime: ServiceRuntime, caller: Identity, queue_id: str, at: datetime) -> QueueOut:
    async with runtime.db.reading() as conn:
        row = await account_row(conn, queues, caller.account_id, queue_id, _missing())
        members = await _members_of(conn, caller.account_id, [queue_id])
    return queue_out(row, members[queue_id], at)


async def _check_members(conn: AsyncConnection, account_id: str, members: list[QueueMember]) -> None:
    ids = [m.user_id for m in members]
    for index, user_id in enumerate(ids):
        if user_id in ids[:index]:
            raise Unprocessable(f"members.{index}.user_id", "this user is listed twice", "duplicate_member")
    if not ids:
        return
    query = select(operators.c.user_id).where(operators.c.account_id == account_id, operators.c.user_id.in_(ids))
    known = set(await conn.scalars(query))
    for index, user_id in enumerate(ids):
        if user_id not in known:
            raise Unprocessable(f"members.{index}.user_id", "no operator of this account has this id", "unknown_member")


async def _check_failover(conn: AsyncConnection, account_id: str, queue_id: str, failover_id: str | None) -> None:
    """The failover is another queue of the account, and the chain of failovers from it never reaches this one."""
    if failover_id is None:
        return
    field = "failover_queue_id"
    if failover_id == queue_id:
        raise Unprocessable(field, "a queue cannot fail over to itself", "failover_self")
    query = select(queues.c.id, queues.c.failover_queue_id).where(queues.c.account_id == account_id)
    chain = {row.id: row.failover_queue_id for row in await conn.execute(query)}
    if failover_id not in chain:
        raise Unprocessable(field, "no queue of this account has this id", "unknown_queue")
    seen: set[str] = set()
    step: str | None = failover_id
    while step is not None and step not in seen:
        if step == queue_id:
            raise Unprocessable(field, "the failovers would come back to this queue", "failover_cycle")
        seen.add(step)
        step = chain.get(step)


def _check_webhook(body: QueueIn, stored_secret: str | None) -> None:
    if body.strategy != "external_webhook":
        return
    if body.webhook_url is None:
        raise Unprocessable("webhook_url", "the external_webhook strategy needs a URL", "webhook_required")
    if body.webhook_secret is None and stored_secret is None:
        raise Unprocessable("webhook_secret", "the external_webhook strategy needs a secret", "webhook_required")


def _values(body: QueueIn) -> dict[str, Any]:
    secret = {"webhook_secret": body.webhook_secret} if body.webhook_secret is not None else {}
    return secret | {
        "webhook_url": body.webhook_url,
        "name": body.name,
        "welcome_message": body.welcome_message,
        "hours": body.hours.model_dump(mode="json") if body.hours is not None else None,
        "priority": body.priority,
        "strategy": body.strategy,
        "max_wait_seconds": body.max_wait_seconds,
        "failover_queue_id": body.failover_queue_id,
        "min_gap_seconds": body.min_gap_seconds,
        "sections": body.sections,
        "updated_at": utcnow(),
    }


async def _write_members(conn: AsyncConnection, account_id: str, queue_id: str, members: list[QueueMember]) -> set[str]:
    """Replace the queue's members; returns the users who joined or left it."""
    before = set(await conn.scalars(select(queue_members.c.user_id).where(queue_members.c.queue_id == queue_id)))
    await conn.execute(delete(queue_members).where(queue_members.c.queue_id == queue_id))
    if members:
        rows = [
            {"queue_id": queue_id, "account_id": account_id, "user_id": m.user_id, "priority": m.priority}
            for m in members
        ]
        await conn.execute(insert(queue_members), rows)
    return before ^ {m.user_id for m in members}


async def _after_change(
    conn: AsyncConnection, runtime: ServiceRuntime, account_id: str, moved: set[str], default_max: int
) -> list[Frame]:
    """Events for the operators who joined or left a queue; offers of the waiting chats someone can take now."""
    now = utcnow()
    await add_presence_changed(conn, account_id, moved, now)
    return await offers.route(conn, runtime, account_id, now, default_max)


def _name_taken() -> Conflict:
    return Conflict("Another queue of the account has this name.", code="queue_name_taken")


async def create_queue(runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, body: QueueIn) -> QueueOut:
    queue_id = new_id()
    try:
        async with runtime.db.transaction() as conn:
            default_max = await lock_account(conn, caller.account_id)
            count = len(list(await conn.scalars(select(queues.c.id).where(queues.c.account_id == caller.account_id))))
            if count >= MAX_QUEUES:
                raise Conflict(f"An account may have at most {MAX_QUEUES} queues.", code="too_many_queues")
            await _check_members(conn, caller.account_id, body.members)
            await _check_failover(conn, caller.account_id, queue_id, body.failover_queue_id)
            _check_webhook(body, None)
            values = _values(body) | {"id": queue_id, "account_id": caller.account_id}
            await conn.execute(insert(queues).values(**values, created_at=values["updated_at"]))
            moved = await _write_members(conn, caller.account_id, queue_id, body.members)
            staged = await _after_change(conn, runtime, caller.account_id, moved, default_max)
    except IntegrityError as exc:
        raise _name_taken() from exc
    await offers.publish(runtime, frames, staged)
    return await get_queue(runtime, caller, queue_id, utcnow())


async def replace_queue(
    runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, queue_id: str, body: QueueIn
) -> QueueOut:
    try:
        async with runtime.db.transaction() as conn:
            default_max = await lock_account(conn, caller.account_id)
            stored = await account_row(conn, queues, caller.account_id, queue_id, _missing())
            await _check_members(conn, caller.account_id, body.members)
            await _check_failover(conn, caller.account_id, queue_id, body.failover_queue_id)
            _check_webhook(body, stored["webhook_secret"])
            owned = (queues.c.id == queue_id) & (queues.c.account_id == caller.account_id)
            await conn.execute(update(queues).where(owned).values(**_values(body)))
            moved = await _write_members(conn, caller.account_id, queue_id, body.members)
            staged = await _after_change(conn, runtime, caller.account_id, moved, default_max)
    except IntegrityError as exc:
        raise _name_taken() from exc
    await offers.publish(runtime, frames, staged)
    return await get_queue(runtime, caller, queue_id, utcnow())


async def delete_queue(runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, queue_id: str) -> None:
    """Delete a queue; queues failing over to it then have no failover; its chats move to the account's first
    queue (none left: they wait for any operator, unrouted)."""
    async with runtime.db.transaction() as conn:
        default_max = await lock_account(conn, caller.account_id)
        await account_row(conn, queues, caller.account_id, queue_id, _missing())
        moved = await _write_members(conn, caller.account_id, queue_id, [])
        await conn.execute(delete(queues).where(queues.c.id == queue_id, queues.c.account_id == caller.account_id))
        to_it = (queues.c.account_id == caller.account_id) & (queues.c.failover_queue_id == queue_id)
        await conn.execute(update(queues).where(to_it).values(failover_queue_id=None))
        first = (
            select(queues.c.id)
            .where(queues.c.account_id == caller.account_id)
            .order_by(queues.c.priority, queues.c.name)
        )
        heir = await conn.scalar(first.limit(1))
        in_it = (conversations.c.account_id == caller.account_id) & (conversations.c.queue_id == queue_id)
        await conn.execute(update(conversations).where(in_it, conversations.c.state != "closed").values(queue_id=heir))
        staged = await _after_change(conn, runtime, caller.account_id, moved, default_max)
    await offers.publish(runtime, frames, staged)
