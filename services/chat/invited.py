"""A conversation started by accepting an invitation (the gateway asks, for the visitor).

One transaction: the conversation, attributed to the invitation and its rule and variant; the invitation's text
as its first message, from the operator who invited (a rule's without one: from the system); for an operator's
own call, the conversation is theirs at once (active, assigned). Its events (`conversation.started` with the
attribution, `conversation.accepted`, `message.created`) and realtime frames are written with it. A visitor
who has an open conversation keeps it: that one is returned, unchanged. One not assigned enters the account's
first queue (a rule's invitation that routes to a queue: that one) and is offered like any new chat (`routing`).
"""

import contextlib

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, realtime
from services.chat import repository as repo
from services.chat.api.schemas import ConversationOut, MessageOut, StartInvited
from services.chat.conversations import conversation_out
from services.chat.models import conversations, outbox
from services.chat.queues import Unprocessable
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import lock_account
from services.chat.routing.entry import queue_for
from services.chat.routing.presence_events import add_presence_changed
from services.common.db import utcnow
from services.common.errors import PayloadTooLarge
from services.common.events import ConversationAccepted, ConversationStarted, MessageCreated
from services.common.ids import new_id
from services.common.outbox import add_event, outbox_row
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


async def _queue_of(conn: AsyncConnection, account_id: str, routed: str | None) -> str | None:
    """The queue the rule routes to (`route_to_queue`); one deleted since, or none: the account's first."""
    if routed is not None:
        with contextlib.suppress(Unprocessable):
            return await queue_for(conn, account_id, routed)
    return await queue_for(conn, account_id, None)


async def start_invited(
    runtime: ServiceRuntime, frames: PendingFrames, visitor: Identity, body: StartInvited
) -> tuple[ConversationOut, bool]:
    """The conversation the invitation starts, and whether it is new (False: the visitor's open one)."""
    assert visitor.site_id and visitor.visitor_id
    if len(body.text.encode()) > runtime.settings.max_message_bytes:
        raise PayloadTooLarge("The invitation's text is longer than a message may be.", code="message_too_large")
    now = utcnow()
    operator = body.operator
    assigned = body.assign and operator is not None
    queue_id = None
    if not assigned:
        async with runtime.db.reading() as conn:
            queue_id = await _queue_of(conn, visitor.account_id, body.queue_id)
    offered: list[Frame] = []
    async with runtime.db.transaction() as conn:
        default_max = await lock_account(conn, visitor.account_id) if queue_id is not None else 0
        row = await repo.open_conversation_of(conn, visitor.account_id, visitor.site_id, visitor.visitor_id)
        if row is not None:
            return conversation_out(row), False
        conversation_id = new_id()
        await conn.execute(
            insert(conversations).values(
                id=conversation_id,
                account_id=visitor.account_id,
                site_id=visitor.site_id,
                visitor_id=visitor.visitor_id,
                channel="web",
                state="active" if assigned else "waiting",
                assigned_user_id=operator.id if assigned and operator else None,
                assigned_user_name=operator.name if assigned and operator else None,
                created_at=now,
                accepted_at=now if assigned else None,
                last_seq=1,
                last_message_at=now,
                invitation_id=body.invitation_id,
                rule_id=body.rule_id,
                variant=body.variant,
                queue_id=queue_id,
            )
        )
        started = ConversationStarted(
            conversation_id=conversation_id,
            site_id=visitor.site_id,
            visitor_id=visitor.visitor_id,
            started_at=now,
            invitation_id=body.invitation_id,
            rule_id=body.rule_id,
            variant=body.variant,
        )
        await add_event(conn, outbox, started, visitor.account_id)
        if assigned and operator:
            accepted = ConversationAccepted(
                conversation_id=conversation_id, user_id=operator.id, accepted_at=now, waited_seconds=0.0
            )
            await add_event(conn, outbox, accepted, visitor.account_id)
            await add_presence_changed(conn, visitor.account_id, [operator.id], now)
        row = await repo.conversation(conn, visitor.account_id, conversation_id)
        assert row is not None
        conversation = conversation_out(row)
        update = realtime.stage(
            visitor.account_id,
            visitor.visitor_id,
            {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")},
        )
        await realtime.add(conn, update)
        message = MessageOut(
            id=new_id(),
            conversation_id=conversation_id,
            seq=1,
            client_msg_id=f"invitation-{body.invitation_id}"[:64],
            sender_type="operator" if operator else "system",
            sender_id=operator.id if operator else None,
            sender_name=operator.name if operator else None,
            text=body.text,
            created_at=now,
        )
        created = MessageCreated(
            conversation_id=conversation_id,
            message_id=message.id,
            seq=1,
            sender_type=message.sender_type,
            sender_id=message.sender_id,
            text_length=len(body.text),
            created_at=now,
        )
        posted = realtime.stage(
            visitor.account_id,
            visitor.visitor_id,
            {"type": "message.created", "message": message.model_dump(mode="json")},
        )
        values = {**message.model_dump(), "account_id": visitor.account_id}
        await audience.address(conn, posted)  # to who sees the conversation (SEC-2)
        await repo.insert_message(conn, values, outbox_row(created.to_event(visitor.account_id)), posted.row())
        if queue_id is not None:
            offered = await offers.route(conn, runtime, visitor.account_id, now, default_max)
            routed = await repo.conversation(conn, visitor.account_id, conversation_id)
            assert routed is not None
            conversation = conversation_out(routed)
    runtime.after_commit()
    await frames.publish(update)
    await frames.publish(posted)
    await offers.publish(runtime, frames, offered)
    return conversation, True
