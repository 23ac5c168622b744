"""Waiting chats whose visitor left (ROUTE-4): shown as "visitor left", then closed as abandoned.

A waiting chat's visitor is *seen* when it starts and whenever a gateway reports a socket of theirs (each gateway
reports the visitor sockets it holds when one opens, then every `PRESENCE_HEARTBEAT_SECONDS`: `seen`). One unseen
for `VISITOR_LEFT_AFTER_SECONDS` gets `visitor_left_at` (consoles show it as left, not as unanswered); seen again,
it is cleared. One still gone `ABANDON_AFTER_SECONDS` after that is closed by the system with `closed_reason`
"abandoned" (and `missed` when no operator had replied); the room it held, if offered, is offered again at once.
Every change is a conditional UPDATE (any replica's sweep may run it; one wins) with its `conversation.updated`
frame written in the same transaction.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import realtime
from services.chat.api.schemas import ConversationOut
from services.chat.models import conversations, messages, outbox
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import lock_account
from services.common.db import utcnow
from services.common.events import ConversationClosed
from services.common.outbox import add_event
from services.common.periodic import Periodic
from services.common.service import ServiceRuntime

BATCH = 200
MAX_VISITORS = 1000  # per report


async def staged_update(conn: AsyncConnection, row: RowMapping) -> Frame:
    """The `conversation.updated` frame of a changed row, to the account and the visitor, in this transaction."""
    conversation = ConversationOut.model_validate(dict(row))
    body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
    frame = realtime.stage(conversation.account_id, conversation.visitor_id, body)
    await realtime.add(conn, frame)
    return frame


async def answered(conn: AsyncConnection, conversation_id: str) -> bool:
    """Whether an operator wrote in the conversation."""
    query = select(exists().where(messages.c.conversation_id == conversation_id, messages.c.sender_type == "operator"))
    return bool(await conn.scalar(query))


async def seen(
    runtime: ServiceRuntime, frames: PendingFrames, account_id: str, visitor_ids: Sequence[str], now: datetime
) -> int:
    """These visitors of the account have a socket now: their waiting chats' visitor is there (and back, if they
    were gone). Returns how many chats came back."""
    ids = sorted(set(visitor_ids))[:MAX_VISITORS]
    if not ids:
        return 0
    theirs = (
        (conversations.c.account_id == account_id)
        & conversations.c.visitor_id.in_(ids)
        & (conversations.c.state == "waiting")
    )
    async with runtime.db.reading() as conn:  # most reports find no waiting chat: no write then
        if not await conn.scalar(select(exists().where(theirs))):
            return 0
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        await conn.execute(update(conversations).where(theirs).values(visitor_seen_at=now))
        back = update(conversations).where(theirs, conversations.c.visitor_left_at.is_not(None))
        for row in (await conn.execute(back.values(visitor_left_at=None).returning(conversations))).mappings():
            staged.append(await staged_update(conn, row))
    await offers.publish(runtime, frames, staged)
    return len(staged)


async def mark_left(runtime: ServiceRuntime, frames: PendingFrames, now: datetime, after: float) -> int:
    """Waiting chats whose visitor gave no sign for `after` seconds: visitor left. Returns how many."""
    cutoff = now - timedelta(seconds=after)
    gone = (
        (conversations.c.state == "waiting")
        & conversations.c.visitor_left_at.is_(None)
        & (func.coalesce(conversations.c.visitor_seen_at, conversations.c.created_at) < cutoff)
    )
    async with runtime.db.reading() as conn:
        ids = list(await conn.scalars(select(conversations.c.id).where(gone).limit(BATCH)))
    if not ids:
        return 0
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        change = update(conversations).where(gone, conversations.c.id.in_(ids)).values(visitor_left_at=now)
        for row in (await conn.execute(change.returning(conversations))).mappings():
            staged.append(await staged_update(conn, row))
    await offers.publish(runtime, frames, staged)
    return len(staged)


async def abandon(runtime: ServiceRuntime, frames: PendingFrames, now: datetime, after: float) -> int:
    """Waiting chats whose visitor left `after` seconds ago or more and has not come back: closed as abandoned.
    Returns how many."""
    cutoff = now - timedelta(seconds=after)
    due = (
        (conversations.c.state == "waiting")
        & conversations.c.visitor_left_at.is_not(None)
        & (conversations.c.visitor_left_at <= cutoff)
    )
    query = select(conversations.c.account_id, conversations.c.id).where(due).limit(BATCH)
    async with runtime.db.reading() as conn:
        found = list(await conn.execute(query))
    by_account: dict[str, list[str]] = {}
    for account_id, conversation_id in found:
        by_account.setdefault(account_id, []).append(conversation_id)
    closed = 0
    for account_id, ids in by_account.items():
        staged: list[Frame] = []
        async with runtime.db.transaction() as conn:
            default_max = await lock_account(conn, account_id)  # an offer it held frees room: routed below
            for conversation_id in ids:
                values = {
                    "state": "closed",
                    "closed_at": now,
                    "closed_by": "system",
                    "closed_reason": "abandoned",
                    "missed": not await answered(conn, conversation_id),
                    **offers.NO_OFFER,
                }
                change = update(conversations).where(due, conversations.c.id == conversation_id).values(**values)
                row = (await conn.execute(change.returning(conversations))).mappings().first()
                if row is None:
                    continue  # the visitor came back, or it was taken or closed meanwhile
                event = ConversationClosed(
                    conversation_id=conversation_id,
                    closed_by="system",
                    closed_at=now,
                    reason="abandoned",
                    missed=row["missed"],
                )
                await add_event(conn, outbox, event, account_id)
                staged.append(await staged_update(conn, row))
                closed += 1
            staged += await offers.route(conn, runtime, account_id, now, default_max)
        await offers.publish(runtime, frames, staged)
    return closed


class VisitorSweeper(Periodic):
    """Every replica sweeps every second; the conditional UPDATEs make each change (and its frame) happen once."""

    interval = 1.0

    def __init__(self, frames: PendingFrames) -> None:
        super().__init__()
        self.frames = frames

    async def tick(self, runtime: ServiceRuntime) -> None:
        settings, now = runtime.settings, utcnow()
        await mark_left(runtime, self.frames, now, settings.visitor_left_after_seconds)
        await abandon(runtime, self.frames, now, settings.abandon_after_seconds)
