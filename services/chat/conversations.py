"""What can happen to a conversation: start, accept, message, close, read.

Every change is one transaction that also writes its domain event to the outbox and its realtime frame
to `chat_realtime_pending`; after the commit the frame is published to the visitor's and the account's
channels (`realtime.py`: a frame whose publish fails is published again from its row). A change that is
committed is answered as done, whatever happens to that publish.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import realtime
from services.chat import repository as repo
from services.chat.api.schemas import ConversationExport, ConversationOut, MessageOut
from services.chat.models import conversations, outbox
from services.chat.realtime import Frame, PendingFrames
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, NotFound, PayloadTooLarge
from services.common.events import ConversationAccepted, ConversationClosed, ConversationStarted, MessageCreated
from services.common.ids import new_id
from services.common.outbox import add_event, outbox_row
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


@dataclass
class Posted:
    message: MessageOut
    created: bool


def conversation_out(row: RowMapping) -> ConversationOut:
    return ConversationOut.model_validate(dict(row))


def message_out(row: RowMapping | dict[str, Any]) -> MessageOut:
    return MessageOut.model_validate(dict(row))


def _sender(identity: Identity) -> tuple[str, str | None, str | None]:
    if identity.is_user:
        return "operator", identity.user_id, identity.name
    return "visitor", identity.visitor_id, None


def _check_size(runtime: ServiceRuntime, text: str) -> None:
    limit = runtime.settings.max_message_bytes
    if len(text.encode()) > limit:
        raise PayloadTooLarge(f"A message may have at most {limit} bytes.", code="message_too_large")


async def _visible(runtime: ServiceRuntime, identity: Identity, conversation_id: str) -> RowMapping:
    async with runtime.db.reading() as session:
        row = await repo.conversation(session, identity.account_id, conversation_id)
    _check_access(identity, row)
    assert row is not None
    return row


def _check_access(identity: Identity, row: RowMapping | None) -> None:
    if row is None or (not identity.is_user and row["visitor_id"] != identity.visitor_id):
        raise NotFound("No such conversation.", code="conversation_not_found")


async def _stage_update(session: AsyncConnection, conversation: ConversationOut) -> Frame:
    """The `conversation.updated` frame of a change, written in the change's transaction."""
    body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
    frame = realtime.stage(conversation.account_id, conversation.visitor_id, body)
    await realtime.add(session, frame)
    return frame


async def _announce(runtime: ServiceRuntime, frames: PendingFrames, frame: Frame) -> None:
    runtime.after_commit()
    await frames.publish(frame)


async def current(runtime: ServiceRuntime, visitor: Identity) -> ConversationOut:
    assert visitor.site_id and visitor.visitor_id
    async with runtime.db.reading() as session:
        row = await repo.open_conversation_of(session, visitor.account_id, visitor.site_id, visitor.visitor_id)
    if row is None:
        raise NotFound("This visitor has no open conversation.", code="no_open_conversation")
    return conversation_out(row)


async def start(
    runtime: ServiceRuntime, frames: PendingFrames, visitor: Identity, text: str | None, client_msg_id: str | None
) -> tuple[ConversationOut, bool]:
    """Open the visitor's conversation (or return the open one), with an optional first message."""
    assert visitor.site_id and visitor.visitor_id
    if text is not None:
        _check_size(runtime, text)
    async with runtime.db.transaction() as session:
        row = await repo.open_conversation_of(session, visitor.account_id, visitor.site_id, visitor.visitor_id)
        created = row is None
        if row is None:
            now = utcnow()
            conversation_id = new_id()
            values = {
                "id": conversation_id,
                "account_id": visitor.account_id,
                "site_id": visitor.site_id,
                "visitor_id": visitor.visitor_id,
                "channel": "web",
                "state": "waiting",
                "created_at": now,
                "last_seq": 0,
            }
            await session.execute(insert(conversations).values(**values))
            started = ConversationStarted(
                conversation_id=conversation_id, site_id=visitor.site_id, visitor_id=visitor.visitor_id, started_at=now
            )
            await add_event(session, outbox, started, visitor.account_id)
            row = await repo.conversation(session, visitor.account_id, conversation_id)
            assert row is not None
            update = await _stage_update(session, conversation_out(row))
    conversation = conversation_out(row)
    if created:
        await _announce(runtime, frames, update)
    if text is not None:
        await post(runtime, frames, visitor, conversation.id, client_msg_id or new_id(), text)
        conversation = await get(runtime, visitor, conversation.id)
    return conversation, created


async def get(runtime: ServiceRuntime, identity: Identity, conversation_id: str) -> ConversationOut:
    return conversation_out(await _visible(runtime, identity, conversation_id))


async def list_in_state(
    runtime: ServiceRuntime, operator: Identity, state: str, limit: int = 200
) -> list[ConversationOut]:
    async with runtime.db.reading() as session:
        rows = await repo.conversations_in_state(session, operator.account_id, state, limit)
    return [conversation_out(r) for r in rows]


async def accept(
    runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, conversation_id: str
) -> ConversationOut:
    async with runtime.db.transaction() as session:
        row = await repo.conversation(session, operator.account_id, conversation_id)
        _check_access(operator, row)
        assert row is not None
        if row["state"] == "active" and row["assigned_user_id"] == operator.user_id:
            return conversation_out(row)
        if row["state"] != "waiting":
            raise Conflict(f"The conversation is {row['state']}, not waiting.", code="conversation_not_waiting")
        now = utcnow()
        row = await repo.change_conversation(
            session,
            conversation_id,
            {
                "state": "active",
                "assigned_user_id": operator.user_id,
                "assigned_user_name": operator.name,
                "accepted_at": now,
            },
        )
        waited = (now - row["created_at"]).total_seconds()
        accepted = ConversationAccepted(
            conversation_id=conversation_id, user_id=operator.user_id or "", accepted_at=now, waited_seconds=waited
        )
        await add_event(session, outbox, accepted, operator.account_id)
        conversation = conversation_out(row)
        update = await _stage_update(session, conversation)
    await _announce(runtime, frames, update)
    return conversation


async def close(
    runtime: ServiceRuntime, frames: PendingFrames, identity: Identity, conversation_id: str
) -> ConversationOut:
    async with runtime.db.transaction() as session:
        row = await repo.conversation(session, identity.account_id, conversation_id)
        _check_access(identity, row)
        assert row is not None
        if row["state"] == "closed":
            return conversation_out(row)
        now = utcnow()
        by = "operator" if identity.is_user else "visitor"
        row = await repo.change_conversation(
            session, conversation_id, {"state": "closed", "closed_at": now, "closed_by": by}
        )
        await add_event(
            session,
            outbox,
            ConversationClosed(conversation_id=conversation_id, closed_by=by, closed_at=now),
            identity.account_id,
        )
        conversation = conversation_out(row)
        update = await _stage_update(session, conversation)
    await _announce(runtime, frames, update)
    return conversation


async def post(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    identity: Identity,
    conversation_id: str,
    client_msg_id: str,
    text: str,
) -> Posted:
    """Store a message once: a retry with the same client message id returns the stored one.

    Stored is stored: once committed the answer is success, whatever the realtime publish does (a failed
    one is published again from its pending row). A retry publishes the stored message's frame again:
    the first answer, and maybe its frame, may have been lost together."""
    _check_size(runtime, text)
    try:
        message, frame = await _insert_message(runtime, identity, conversation_id, client_msg_id, text)
    except IntegrityError:
        # This client message id is stored already (a retry, maybe concurrent): return that message.
        async with runtime.db.reading() as session:
            existing = await repo.message_by_client_id(session, conversation_id, client_msg_id)
            conversation = await repo.conversation(session, identity.account_id, conversation_id)
        if existing is None or conversation is None:
            raise
        stored = message_out(existing)
        body = {"type": "message.created", "message": stored.model_dump(mode="json")}
        await frames.send(realtime.channels_of(identity.account_id, conversation["visitor_id"]), body)
        return Posted(stored, created=False)
    runtime.after_commit()
    await frames.publish(frame)
    return Posted(message, created=True)


async def _insert_message(
    runtime: ServiceRuntime, identity: Identity, conversation_id: str, client_msg_id: str, text: str
) -> tuple[MessageOut, Frame]:
    """Insert optimistically; the unique (conversation, client_msg_id) turns a retry into IntegrityError.

    Returns the message and the conversation's visitor id.
    """
    async with runtime.db.transaction() as session:
        row = await repo.reserve_seq(session, identity.account_id, conversation_id)
        _check_access(identity, row)
        assert row is not None
        if row["state"] == "closed":
            if await repo.message_by_client_id(session, conversation_id, client_msg_id) is not None:
                raise IntegrityError("retry of a stored message", None, Exception("duplicate client_msg_id"))
            raise Conflict("The conversation is closed.", code="conversation_closed")
        if identity.is_user and identity.role == "operator" and row["assigned_user_id"] not in (None, identity.user_id):
            raise Forbidden("Another operator handles this conversation.", code="not_assigned")
        sender_type, sender_id, sender_name = _sender(identity)
        values = {
            "id": new_id(),
            "conversation_id": conversation_id,
            "account_id": identity.account_id,
            "seq": row["last_seq"],
            "client_msg_id": client_msg_id,
            "sender_type": sender_type,
            "sender_id": sender_id,
            "sender_name": sender_name,
            "text": text,
            "created_at": utcnow(),
        }
        created = MessageCreated(
            conversation_id=conversation_id,
            message_id=values["id"],
            seq=values["seq"],
            sender_type=sender_type,
            sender_id=sender_id,
            text_length=len(text),
            created_at=values["created_at"],
        )
        # The values are ours and of the right types: no need to validate them again.
        message = MessageOut.model_construct(**values)
        body = {"type": "message.created", "message": message.model_dump(mode="json")}
        frame = realtime.stage(identity.account_id, row["visitor_id"], body)
        await repo.insert_message(session, values, outbox_row(created.to_event(identity.account_id)), frame.row())
    return message, frame


async def history(
    runtime: ServiceRuntime, identity: Identity, conversation_id: str, after_seq: int, limit: int
) -> list[MessageOut]:
    await _visible(runtime, identity, conversation_id)
    async with runtime.db.reading() as session:
        rows = await repo.messages_after(session, conversation_id, after_seq, limit)
    return [message_out(r) for r in rows]


async def export_of_visitor(runtime: ServiceRuntime, admin: Identity, visitor_id: str) -> list[ConversationExport]:
    """Every conversation of the visitor in the caller's account, each with all its messages."""
    async with runtime.db.reading() as session:
        rows = await repo.conversations_of_visitor(session, admin.account_id, visitor_id)
        found = await repo.messages_of(session, admin.account_id, [row["id"] for row in rows])
    by_conversation: dict[str, list[MessageOut]] = {row["id"]: [] for row in rows}
    for message in found:
        by_conversation[message["conversation_id"]].append(message_out(message))
    return [ConversationExport.model_validate({**row, "messages": by_conversation[row["id"]]}) for row in rows]
