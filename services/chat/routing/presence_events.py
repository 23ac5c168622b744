"""`operator.presence_changed` (OperatorPresenceChanged) through chat's outbox, in the transaction of the change:
an operator's status, capacity, load (active chats) or queues changed. Another service (rules) consumes it."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.models import operators, outbox, queue_members
from services.chat.routing.capacity import active_chats, default_max_chats
from services.common.events import OperatorPresenceChanged
from services.common.outbox import add_events


async def add_presence_changed(conn: AsyncConnection, account_id: str, user_ids: Iterable[str], at: datetime) -> int:
    """Write the event of each of these users chat knows as an operator; returns how many were written."""
    ids = sorted({user_id for user_id in user_ids if user_id})
    if not ids:
        return 0
    query = select(operators.c.user_id, operators.c.status, operators.c.max_chats).where(
        operators.c.account_id == account_id, operators.c.user_id.in_(ids)
    )
    rows = list(await conn.execute(query))
    if not rows:
        return 0
    default = await default_max_chats(conn, account_id)
    active = await active_chats(conn, account_id, ids)
    member_of: dict[str, list[str]] = {user_id: [] for user_id in ids}
    memberships = select(queue_members.c.user_id, queue_members.c.queue_id).where(
        queue_members.c.account_id == account_id, queue_members.c.user_id.in_(ids)
    )
    for user_id, queue_id in await conn.execute(memberships.order_by(queue_members.c.queue_id)):
        member_of[user_id].append(queue_id)
    events = [
        (
            OperatorPresenceChanged(
                user_id=user_id,
                status=status,
                max_chats=max_chats or default,
                active_chats=active.get(user_id, 0),
                queue_ids=member_of[user_id],
                at=at,
            ),
            account_id,
        )
        for user_id, status, max_chats in rows
    ]
    await add_events(conn, outbox, events)
    return len(events)
