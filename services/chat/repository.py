"""Queries on conversations and messages; every one is scoped to an account."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.models import conversations, messages, outbox, realtime_pending
from services.common.db import UTCDateTime, utcnow

# Built once: a statement made per call costs more CPU than its round trip (parameters go separately).
RESERVE_SEQ = (
    update(conversations)
    .where(
        conversations.c.id == bindparam("p_conversation_id"), conversations.c.account_id == bindparam("p_account_id")
    )
    .values(last_seq=conversations.c.last_seq + 1, last_message_at=bindparam("p_now", type_=UTCDateTime()))
    .returning(conversations)
)
INSERT_MESSAGE = insert(messages)
# A message's optional columns, for a writer that does not give them (`insert_message` on PostgreSQL).
MESSAGE_DEFAULTS: dict[str, Any] = {
    c.name: getattr(c.default, "arg", None) if c.default is not None and c.default.is_scalar else None
    for c in messages.c
    if c.nullable or c.default is not None
}
INSERT_EVENT = insert(outbox)
INSERT_FRAME = insert(realtime_pending)


def _parameters(table: Table, prefix: str) -> dict[str, Any]:
    return {c.name: bindparam(prefix + c.name, type_=c.type) for c in table.c}


# PostgreSQL: the message, its outbox row and its pending realtime frame in one statement (one round trip).
INSERT_MESSAGE_AND_EVENT = (
    insert(outbox)
    .values(_parameters(outbox, "o_"))
    .add_cte(insert(messages).values(_parameters(messages, "m_")).cte("new_message"))
    .add_cte(insert(realtime_pending).values(_parameters(realtime_pending, "f_")).cte("new_frame"))
)


async def conversation(conn: AsyncConnection, account_id: str, conversation_id: str) -> RowMapping | None:
    query = select(conversations).where(conversations.c.id == conversation_id, conversations.c.account_id == account_id)
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def open_conversation_of(
    conn: AsyncConnection, account_id: str, site_id: str, visitor_id: str
) -> RowMapping | None:
    query = (
        select(conversations)
        .where(
            conversations.c.account_id == account_id,
            conversations.c.site_id == site_id,
            conversations.c.visitor_id == visitor_id,
            conversations.c.state != "closed",
        )
        .order_by(conversations.c.created_at.desc())
        .limit(1)
    )
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def conversations_in_state(
    conn: AsyncConnection, account_id: str, state: str, limit: int, only: ColumnElement[bool] | None = None
) -> Sequence[RowMapping]:
    """`only`: a further condition (the conversations an operator sees: `audience.visible_to_operator`)."""
    order = conversations.c.created_at.asc() if state == "waiting" else conversations.c.created_at.desc()
    query = (
        select(conversations)
        .where(conversations.c.account_id == account_id, conversations.c.state == state)
        .order_by(order)
        .limit(limit)
    )
    if only is not None:
        query = query.where(only)
    return (await conn.execute(query)).mappings().all()


async def message_by_client_id(conn: AsyncConnection, conversation_id: str, client_msg_id: str) -> RowMapping | None:
    query = select(messages).where(
        messages.c.conversation_id == conversation_id, messages.c.client_msg_id == client_msg_id
    )
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def messages_after(
    conn: AsyncConnection, conversation_id: str, after_seq: int, limit: int
) -> Sequence[RowMapping]:
    query = (
        select(messages)
        .where(messages.c.conversation_id == conversation_id, messages.c.seq > after_seq)
        .order_by(messages.c.seq)
        .limit(limit)
    )
    return (await conn.execute(query)).mappings().all()


async def reserve_seq(conn: AsyncConnection, account_id: str, conversation_id: str) -> RowMapping | None:
    """Reserve the next sequence number and return the conversation with it (one round trip).

    The row lock orders concurrent writers of one conversation; a rollback gives the number back.
    """
    params = {"p_conversation_id": conversation_id, "p_account_id": account_id, "p_now": utcnow()}
    row: RowMapping | None = (await conn.execute(RESERVE_SEQ, params)).mappings().first()
    return row


async def insert_message(
    conn: AsyncConnection, values: dict[str, Any], event_row: dict[str, Any], frame_row: dict[str, Any]
) -> None:
    """Insert a message, its event's outbox row (`outbox_row`) and its realtime frame's pending row
    (`realtime.Frame.row`); a duplicate raises IntegrityError."""
    if conn.dialect.name == "postgresql":
        values = MESSAGE_DEFAULTS | values  # the one statement binds every column: those not given, their default
        params = (
            {f"m_{k}": v for k, v in values.items()}
            | {f"o_{k}": v for k, v in event_row.items()}
            | {f"f_{k}": v for k, v in frame_row.items()}
        )
        await conn.execute(INSERT_MESSAGE_AND_EVENT, params)
    else:
        await conn.execute(INSERT_MESSAGE, values)
        await conn.execute(INSERT_EVENT, event_row)
        await conn.execute(INSERT_FRAME, frame_row)


async def take_offer(
    conn: AsyncConnection, account_id: str, conversation_id: str, user_id: str, values: dict[str, Any]
) -> RowMapping | None:
    """Change the conversation only while it is waiting and offered to this user; None when it is not."""
    query = (
        update(conversations)
        .where(
            conversations.c.id == conversation_id,
            conversations.c.account_id == account_id,
            conversations.c.state == "waiting",
            conversations.c.offered_user_id == user_id,
        )
        .values(**values)
        .returning(conversations)
    )
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def change_conversation(conn: AsyncConnection, conversation_id: str, values: dict[str, Any]) -> RowMapping:
    query = update(conversations).where(conversations.c.id == conversation_id).values(**values).returning(conversations)
    row: RowMapping = (await conn.execute(query)).mappings().one()
    return row


async def conversations_of_visitor(conn: AsyncConnection, account_id: str, visitor_id: str) -> Sequence[RowMapping]:
    """Every conversation of a visitor in the account, oldest first."""
    query = (
        select(conversations)
        .where(conversations.c.account_id == account_id, conversations.c.visitor_id == visitor_id)
        .order_by(conversations.c.created_at, conversations.c.id)
    )
    return (await conn.execute(query)).mappings().all()


async def messages_of(conn: AsyncConnection, account_id: str, conversation_ids: list[str]) -> Sequence[RowMapping]:
    """Every message of these conversations, by conversation and sequence number."""
    if not conversation_ids:
        return []
    query = (
        select(messages)
        .where(messages.c.account_id == account_id, messages.c.conversation_id.in_(conversation_ids))
        .order_by(messages.c.conversation_id, messages.c.seq)
    )
    return (await conn.execute(query)).mappings().all()


async def erase_visitor(conn: AsyncConnection, account_id: str, visitor_id: str) -> list[str]:
    """Delete a visitor's conversations in the account with their messages; returns the conversation ids."""
    owned = select(conversations.c.id).where(
        conversations.c.account_id == account_id, conversations.c.visitor_id == visitor_id
    )
    ids = list(await conn.scalars(owned))
    if ids:
        await conn.execute(delete(messages).where(messages.c.conversation_id.in_(ids)))
        await conn.execute(delete(conversations).where(conversations.c.id.in_(ids)))
    return ids
