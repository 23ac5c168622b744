"""Group conversations (CHAT-7): an operator starts one conversation with several live visitors.

The gateway checks that every visitor is one of the account's (tracking knows them) and passes them with their
sites (`POST /internal/v1/group-conversations`). The conversation is `kind: "group"`, has no single `visitor_id`
(its visitors are rows of `conversation_visitors`, named "Visitor 1", "Visitor 2"… in the order given: what the
others see, never a contact's real name), and is active and assigned to the operator at once, with their text
as its first message. Every frame of it goes to each visitor's channel (`audience`); a visitor's message carries
their name; `GET /conversations/current` gives a visitor their newest open group (or their own chat when newer).
Its `conversation.started` event names its first visitor (reports count one chat).
"""

from typing import Any

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import repository as repo
from services.chat.api.participant_schemas import GroupVisitorIn
from services.chat.api.schemas import ConversationOut, MessageOut
from services.chat.models import conversation_visitors, conversations, outbox
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing.presence_events import add_presence_changed
from services.common.db import utcnow
from services.common.errors import PayloadTooLarge
from services.common.events import ConversationAccepted, ConversationStarted, MessageCreated
from services.common.ids import new_id
from services.common.outbox import add_event, outbox_row
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


async def group_of_visitor(conn: AsyncConnection, account_id: str, visitor_id: str | None) -> RowMapping | None:
    """The visitor's newest open group conversation in the account."""
    query = (
        select(conversations)
        .join(conversation_visitors, conversation_visitors.c.conversation_id == conversations.c.id)
        .where(
            conversation_visitors.c.account_id == account_id,
            conversation_visitors.c.visitor_id == visitor_id,
            conversations.c.state != "closed",
        )
        .order_by(conversations.c.created_at.desc())
        .limit(1)
    )
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def start_group(
    runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, visitors: list[GroupVisitorIn], text: str
) -> ConversationOut:
    limit = runtime.settings.max_message_bytes
    if len(text.encode()) > limit:
        raise PayloadTooLarge(f"A message may have at most {limit} bytes.", code="message_too_large")
    account_id, user_id = operator.account_id, operator.user_id or ""
    now = utcnow()
    conversation_id = new_id()
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        values: dict[str, Any] = {
            "id": conversation_id,
            "account_id": account_id,
            "site_id": visitors[0].site_id,
            "visitor_id": None,
            "channel": "web",
            "state": "active",
            "kind": "group",
            "assigned_user_id": user_id,
            "assigned_user_name": operator.name,
            "created_at": now,
            "accepted_at": now,
            "last_seq": 1,
            "last_message_at": now,
        }
        await conn.execute(insert(conversations).values(**values))
        await conn.execute(
            insert(conversation_visitors),
            [
                {
                    "conversation_id": conversation_id,
                    "account_id": account_id,
                    "visitor_id": v.visitor_id,
                    "site_id": v.site_id,
                    "name": f"Visitor {n}",
                    "added_at": now,
                }
                for n, v in enumerate(visitors, start=1)
            ],
        )
        first = visitors[0]
        started = ConversationStarted(
            conversation_id=conversation_id, site_id=first.site_id, visitor_id=first.visitor_id, started_at=now
        )
        await add_event(conn, outbox, started, account_id)
        accepted = ConversationAccepted(
            conversation_id=conversation_id, user_id=user_id, accepted_at=now, waited_seconds=0.0
        )
        await add_event(conn, outbox, accepted, account_id)
        await add_presence_changed(conn, account_id, [user_id], now)
        row = await repo.conversation(conn, account_id, conversation_id)
        assert row is not None
        conversation = await audience.view(conn, row, operator)
        body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
        staged += await audience.stage(conn, row, body)
        message = MessageOut(
            id=new_id(),
            conversation_id=conversation_id,
            seq=1,
            client_msg_id=f"group-{conversation_id}"[:64],
            sender_type="operator",
            sender_id=user_id,
            sender_name=operator.name,
            text=text,
            created_at=now,
        )
        created = MessageCreated(
            conversation_id=conversation_id,
            message_id=message.id,
            seq=1,
            sender_type="operator",
            sender_id=user_id,
            text_length=len(text),
            created_at=now,
        )
        (posted,) = await audience.frames_for(
            conn, row, {"type": "message.created", "message": message.model_dump(mode="json")}
        )
        message_values = {**message.model_dump(), "account_id": account_id}
        await repo.insert_message(conn, message_values, outbox_row(created.to_event(account_id)), posted.row())
        staged.append(posted)
    runtime.after_commit()
    for frame in staged:
        await frames.publish(frame)
    return conversation
