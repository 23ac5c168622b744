"""What can happen to a conversation: start, accept, message, close, read.

Every change is one transaction that also writes its domain event to the outbox and its realtime frame
to `chat_realtime_pending`; after the commit the frame is published to the visitor's and the account's
channels (`realtime.py`: a frame whose publish fails is published again from its row). A change that is
committed is answered as done, whatever happens to that publish.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, prechat
from services.chat import repository as repo
from services.chat.api.schemas import AttachmentRef, ConversationExport, ConversationOut, MessageOut
from services.chat.group import group_of_visitor
from services.chat.message_edits import check_quote
from services.chat.models import conversations, outbox
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import capacity_of, loads, lock_account
from services.chat.routing.entry import queue_for
from services.chat.routing.presence_events import add_presence_changed
from services.chat.routing.visitors import answered
from services.chat.routing.waiting import waiting_of
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
    async with runtime.db.reading() as conn:
        row = await repo.conversation(conn, identity.account_id, conversation_id)
        return await audience.check_visible(conn, identity, row)


async def _stage_update(
    conn: AsyncConnection, conversation: ConversationOut, before: RowMapping | dict[str, Any] | None = None
) -> list[Frame]:
    """The `conversation.updated` frames of a change (to who sees it, and who saw it `before`), written in the
    change's transaction (`audience`)."""
    body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
    return await audience.stage(conn, conversation.model_dump(), body, before=before)


async def _announce(runtime: ServiceRuntime, frames: PendingFrames, staged: Frame | list[Frame]) -> None:
    runtime.after_commit()
    for frame in staged if isinstance(staged, list) else [staged]:
        await frames.publish(frame)


async def current(runtime: ServiceRuntime, visitor: Identity) -> ConversationOut:
    assert visitor.site_id and visitor.visitor_id
    async with runtime.db.reading() as conn:
        row = await repo.open_conversation_of(conn, visitor.account_id, visitor.site_id, visitor.visitor_id)
        group = await group_of_visitor(conn, visitor.account_id, visitor.visitor_id)
        if group is not None and (row is None or group["created_at"] > row["created_at"]):
            return await audience.view(conn, group, visitor)  # the group an operator started with them (CHAT-7)
        if row is None:
            raise NotFound("This visitor has no open conversation.", code="no_open_conversation")
        return await with_position(conn, await audience.view(conn, row, visitor), utcnow())


async def with_position(conn: AsyncConnection, conversation: ConversationOut, now: datetime) -> ConversationOut:
    """A waiting conversation with its place in its queue and expected wait (`routing/waiting.py`)."""
    if conversation.state != "waiting" or conversation.queue_id is None:
        return conversation
    place = (await waiting_of(conn, conversation.account_id, now)).positions.get(conversation.id)
    if place is None:
        return conversation
    return conversation.model_copy(
        update={"position": place.position, "expected_wait_seconds": place.expected_wait_seconds}
    )


async def start(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    visitor: Identity,
    text: str | None,
    client_msg_id: str | None,
    queue_id: str | None = None,
    language: str | None = None,
) -> tuple[ConversationOut, bool]:
    """Open the visitor's conversation (or return the open one), with an optional first message. A new one needs
    the site's required pre-chat fields answered (422 `prechat_required`), enters its queue (`routing.entry`) and
    is offered, once committed, when an operator can take it (`offers.route_new`)."""
    assert visitor.site_id and visitor.visitor_id
    if text is not None:
        _check_size(runtime, text)
    chosen = queue_id is not None
    async with runtime.db.reading() as conn:
        queue_id = await queue_for(conn, visitor.account_id, queue_id)
    async with runtime.db.transaction() as conn:
        row = await repo.open_conversation_of(conn, visitor.account_id, visitor.site_id, visitor.visitor_id)
        created = row is None
        if row is None:
            await prechat.check_answered(conn, visitor)  # the site's required pre-chat fields first (EMB-3)
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
                "queue_id": queue_id,
                "visitor_seen_at": now,
                "language": language,
            }
            await conn.execute(insert(conversations).values(**values))
            started = ConversationStarted(
                conversation_id=conversation_id,
                site_id=visitor.site_id,
                visitor_id=visitor.visitor_id,
                started_at=now,
                queue_chosen=chosen,
            )
            await add_event(conn, outbox, started, visitor.account_id)
            row = await repo.conversation(conn, visitor.account_id, conversation_id)
            assert row is not None
            update = await _stage_update(conn, conversation_out(row))
    conversation = conversation_out(row)
    changed = False
    if created:
        await _announce(runtime, frames, update)
        if queue_id is not None:  # offered after the commit, with the account's other new chats meanwhile
            await offers.route_new(runtime, frames, visitor.account_id, conversation.id)
            await offers.route_by_webhook(runtime, frames, visitor.account_id, conversation.id)  # if not offered
            changed = True
    if text is not None:
        await post(runtime, frames, visitor, conversation.id, client_msg_id or new_id(), text)
        changed = True
    if changed:  # read once, as all that happened left it
        conversation = await get(runtime, visitor, conversation.id)
    if conversation.state == "waiting" and conversation.queue_id is not None:  # the visitor sees their place at once
        async with runtime.db.reading() as conn:
            conversation = await with_position(conn, conversation, utcnow())
    return conversation, created


async def get(runtime: ServiceRuntime, identity: Identity, conversation_id: str) -> ConversationOut:
    async with runtime.db.reading() as conn:
        row = await repo.conversation(conn, identity.account_id, conversation_id)
        return await audience.view(conn, await audience.check_visible(conn, identity, row), identity)


async def list_in_state(
    runtime: ServiceRuntime, operator: Identity, state: str, limit: int = 200
) -> list[ConversationOut]:
    """Managers: the account's conversations in this state; an operator: those they see (`audience`)."""
    only = None
    if operator.role == "operator":
        only = audience.visible_to_operator(operator.account_id, operator.user_id or "")
    async with runtime.db.reading() as conn:
        rows = await repo.conversations_in_state(conn, operator.account_id, state, limit, only)
        return await audience.views(conn, rows, operator)


async def _check_may_take(conn: AsyncConnection, operator: Identity, row: RowMapping, default_max: int) -> None:
    """An operator (not a supervisor or admin) may not take a chat offered to someone else, nor a routed chat
    beyond their capacity (a chat offered to them is counted already)."""
    if operator.role != "operator":
        return
    offered_to = row["offered_user_id"]
    if offered_to is not None and offered_to != operator.user_id:
        raise Conflict("This conversation is offered to another operator.", code="offered_to_another")
    if row["queue_id"] is None or offered_to == operator.user_id:
        return
    user_id = operator.user_id or ""
    capacity = await capacity_of(conn, operator.account_id, user_id, default_max)
    if (await loads(conn, operator.account_id, [user_id]))[user_id] >= capacity:
        raise Conflict(f"You have {capacity} chats already, your maximum.", code="at_capacity")


async def accept(
    runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, conversation_id: str
) -> ConversationOut:
    """Take a waiting conversation (one offered to someone else: only a supervisor or admin).

    The chat offered to the caller (the usual case) is taken by one conditional UPDATE, without the routing lock:
    their load does not change, and whatever takes the offer back (an expiry, their leaving) updates the same row
    only while it is still offered to them. Anything else decides under the lock."""
    offered: list[Frame] = []
    async with runtime.db.transaction() as conn:
        now = utcnow()
        taken = {
            "state": "active",
            "assigned_user_id": operator.user_id,
            "assigned_user_name": operator.name,
            "accepted_at": now,
            **offers.NO_OFFER,
        }
        row = await repo.take_offer(conn, operator.account_id, conversation_id, operator.user_id or "", taken)
        offered_to = operator.user_id
        before: RowMapping | dict[str, Any] | None = None
        if row is None:
            default_max = await lock_account(conn, operator.account_id)
            row = await audience.check_visible(
                conn, operator, await repo.conversation(conn, operator.account_id, conversation_id)
            )
            if row["state"] == "active" and row["assigned_user_id"] == operator.user_id:
                return await audience.view(conn, row, operator)
            if row["state"] != "waiting":
                raise Conflict(f"The conversation is {row['state']}, not waiting.", code="conversation_not_waiting")
            await _check_may_take(conn, operator, row, default_max)
            offered_to = row["offered_user_id"]
            before = row
            row = await repo.change_conversation(conn, conversation_id, taken)
        await add_presence_changed(conn, operator.account_id, [operator.user_id or ""], now)
        waited = (now - row["created_at"]).total_seconds()
        accepted = ConversationAccepted(
            conversation_id=conversation_id, user_id=operator.user_id or "", accepted_at=now, waited_seconds=waited
        )
        await add_event(conn, outbox, accepted, operator.account_id)
        conversation = await audience.view(conn, row, operator)
        update = await _stage_update(conn, conversation, before or {**row, "state": "waiting"})
        if offered_to not in (None, operator.user_id):  # a supervisor took it: the offered operator has room again
            offered = await offers.route(  # (locked above)
                conn, runtime, operator.account_id, now, default_max, users=[offered_to] if offered_to else None
            )
    await _announce(runtime, frames, update)
    await offers.publish(runtime, frames, offered)
    return conversation


async def close(
    runtime: ServiceRuntime, frames: PendingFrames, identity: Identity, conversation_id: str
) -> ConversationOut:
    """Close a conversation; the room it held (an active chat, an offer) is offered to waiting chats at once, in
    a transaction of its own under the routing lock (the close takes no lock: it only frees room; what routing
    changes in this row, it changes only while the row is still waiting). Should that second one not happen (a
    crash between, or a chat that started meanwhile without finding room), the routing sweep offers the room
    within `ROUTE_SECONDS`. Nothing waiting in the holder's queues (the usual case): no second transaction."""
    async with runtime.db.transaction() as conn:
        row = await audience.check_visible(
            conn, identity, await repo.conversation(conn, identity.account_id, conversation_id)
        )
        if row["state"] == "closed":
            return await audience.view(conn, row, identity)
        if row["kind"] == "group" and not identity.is_user:
            raise Forbidden("A group conversation is closed by its operator.", code="group_conversation")
        now = utcnow()
        by = "operator" if identity.is_user else "visitor"
        held_by = row["assigned_user_id"] if row["state"] == "active" else row["offered_user_id"]
        missed = not await answered(conn, conversation_id)
        closing = {"state": "closed", "closed_at": now, "closed_by": by, "closed_reason": "closed", "missed": missed}
        row = await repo.change_conversation(conn, conversation_id, {**closing, **offers.NO_OFFER})
        if held_by is not None and row["assigned_user_id"] == held_by:
            await add_presence_changed(conn, identity.account_id, [held_by], now)
        await add_event(
            conn,
            outbox,
            ConversationClosed(conversation_id=conversation_id, closed_by=by, closed_at=now, missed=missed),
            identity.account_id,
        )
        conversation = await audience.view(conn, row, identity)
        update = await _stage_update(conn, conversation)
    await _announce(runtime, frames, update)
    if held_by is not None and await offers.waits_for(runtime, identity.account_id, held_by):
        await offers.route_freed(runtime, frames, identity.account_id, held_by)  # with others' meanwhile (FreedRoom)
    return conversation


async def post(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    identity: Identity,
    conversation_id: str,
    client_msg_id: str,
    text: str,
    attachment: dict[str, Any] | None = None,
    quote_seq: int | None = None,
) -> Posted:
    """Store a message once: a retry with the same client message id returns the stored one.

    Stored is stored: once committed the answer is success, whatever the realtime publish does (a failed
    one is published again from its pending row). A retry publishes the stored message's frame again:
    the first answer, and maybe its frame, may have been lost together."""
    _check_size(runtime, text)
    try:
        message, frame = await _insert_message(
            runtime, identity, conversation_id, client_msg_id, text, attachment, quote_seq
        )
    except IntegrityError:
        # This client message id is stored already (a retry, maybe concurrent): return that message.
        async with runtime.db.reading() as conn:
            existing = await repo.message_by_client_id(conn, conversation_id, client_msg_id)
            conversation = await repo.conversation(conn, identity.account_id, conversation_id)
            if existing is None or conversation is None:
                raise
            stored = message_out(existing)
            body = {"type": "message.created", "message": stored.model_dump(mode="json")}
            again = await audience.frames_for(conn, conversation, body)
        for frame in again:
            await frames.send(frame.channels, frame.body)
        return Posted(stored, created=False)
    runtime.after_commit()
    await frames.publish(frame)
    return Posted(message, created=True)


async def _insert_message(
    runtime: ServiceRuntime,
    identity: Identity,
    conversation_id: str,
    client_msg_id: str,
    text: str,
    attachment: dict[str, Any] | None = None,
    quote_seq: int | None = None,
) -> tuple[MessageOut, Frame]:
    """Insert optimistically; the unique (conversation, client_msg_id) turns a retry into IntegrityError.

    Returns the message and the conversation's visitor id.
    """
    async with runtime.db.transaction() as conn:
        row = await audience.check_visible(
            conn, identity, await repo.reserve_seq(conn, identity.account_id, conversation_id)
        )
        members = await audience.members_of(conn, conversation_id, row["kind"])
        if row["state"] == "closed":
            if await repo.message_by_client_id(conn, conversation_id, client_msg_id) is not None:
                raise IntegrityError("retry of a stored message", None, Exception("duplicate client_msg_id"))
            raise Conflict("The conversation is closed.", code="conversation_closed")
        if identity.is_user and identity.role == "operator" and row["assigned_user_id"] not in (None, identity.user_id):
            if members.role_of(identity.user_id) != "invited":  # invited into it (CHAT-6): they write too
                raise Forbidden("Another operator handles this conversation.", code="not_assigned")
        if identity.is_user and row["state"] == "waiting" and row["offered_user_id"] is not None:
            await _reply_to_offer(conn, identity, row)
        if quote_seq is not None:  # a quote-reply (CHAT-5)
            await check_quote(conn, conversation_id, quote_seq, row["last_seq"])
        sender_type, sender_id, sender_name = _sender(identity)
        if not identity.is_user and row["kind"] == "group":  # the others see who wrote (CHAT-7)
            sender_name = next((v["name"] for v in members.visitors if v["visitor_id"] == sender_id), None)
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
            "attachment": attachment,  # CHAT-10: the file it carries (`attachments/service.py`)
            "quote_seq": quote_seq,  # CHAT-5: the message it quotes
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
        if attachment is not None:
            message.attachment = AttachmentRef.model_validate(attachment)
        body = {"type": "message.created", "message": message.model_dump(mode="json")}
        (frame,) = await audience.frames_for(conn, row, body, members=members)
        await repo.insert_message(conn, values, outbox_row(created.to_event(identity.account_id)), frame.row())
    return message, frame


async def _reply_to_offer(conn: AsyncConnection, operator: Identity, row: RowMapping) -> None:
    """An operator writes in a waiting chat offered to someone: theirs, the offer's timer stops (it stays
    theirs until they accept or leave); another's, refused (supervisors and admins may)."""
    if row["offered_user_id"] == operator.user_id:
        if row["offer_expires_at"] is not None:
            await repo.change_conversation(conn, row["id"], {"offer_expires_at": None})
    elif operator.role == "operator":
        raise Forbidden("This conversation is offered to another operator.", code="offered_to_another")


async def history(
    runtime: ServiceRuntime, identity: Identity, conversation_id: str, after_seq: int, limit: int
) -> list[MessageOut]:
    await _visible(runtime, identity, conversation_id)
    async with runtime.db.reading() as conn:
        rows = await repo.messages_after(conn, conversation_id, after_seq, limit)
    return [message_out(r) for r in rows]


async def export_of_visitor(runtime: ServiceRuntime, admin: Identity, visitor_id: str) -> list[ConversationExport]:
    """Every conversation of the visitor in the caller's account, each with all its messages."""
    async with runtime.db.reading() as conn:
        rows = await repo.conversations_of_visitor(conn, admin.account_id, visitor_id)
        found = await repo.messages_of(conn, admin.account_id, [row["id"] for row in rows])
    by_conversation: dict[str, list[MessageOut]] = {row["id"]: [] for row in rows}
    for message in found:
        by_conversation[message["conversation_id"]].append(message_out(message))
    return [ConversationExport.model_validate({**row, "messages": by_conversation[row["id"]]}) for row in rows]
