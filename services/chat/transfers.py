"""Transfer a conversation (CHAT-6) to another operator or to a queue, with a note for the colleague.

- To an operator: online (else 409 `operator_unavailable`) with room (else 409 `at_capacity`); the conversation
  is theirs at once (active, assigned: not offered, so nothing can take it from them meanwhile).
- To a queue: it waits in that queue again (nobody assigned, nothing offered, `queued_at` now) and is routed in
  the same transaction, as a new chat would be.
The previous assigned operator leaves it (they no longer see it; those invited stay). The visitor gets a system
message ("You are being connected to …"); the history stays with the conversation. The new operator (or, to a
queue, whoever may take it there) gets `conversation.transferred` with the note; the note is not stored.
Who may transfer: the assigned operator, an invited one, a supervisor or an admin.
"""

from typing import Any

from sqlalchemy import RowMapping, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import repository as repo
from services.chat.api.participant_schemas import Transfer
from services.chat.api.schemas import ConversationOut, MessageOut
from services.chat.models import conversation_participants, queues
from services.chat.participants import check_in_it, open_conversation, operator_of
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import capacity_of, default_max_chats, loads
from services.chat.routing.presence_events import add_presence_changed
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.events import MessageCreated
from services.common.ids import new_id
from services.common.outbox import outbox_row
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


async def _to_operator(
    conn: AsyncConnection, caller: Identity, row: RowMapping, user_id: str
) -> tuple[dict[str, Any], str]:
    target = await operator_of(conn, caller.account_id, user_id)
    name = target["name"] or "a colleague"
    if user_id == row["assigned_user_id"] and row["state"] == "active":
        raise Conflict(f"The conversation is {name}'s already.", code="already_assigned")
    if target["status"] != "online":
        raise Conflict(f"{name} is not online.", code="operator_unavailable")
    capacity = await capacity_of(conn, caller.account_id, user_id, await default_max_chats(conn, caller.account_id))
    if (await loads(conn, caller.account_id, [user_id]))[user_id] >= capacity:
        raise Conflict(f"{name} has {capacity} chats already, their maximum.", code="at_capacity")
    values = {
        "state": "active",
        "assigned_user_id": user_id,
        "assigned_user_name": target["name"],
        "accepted_at": row["accepted_at"] or utcnow(),
        **offers.NO_OFFER,
    }
    return values, f"You are being connected to {name}."


async def _to_queue(conn: AsyncConnection, caller: Identity, queue_id: str) -> tuple[dict[str, Any], str]:
    query = select(queues.c.id).where(queues.c.account_id == caller.account_id, queues.c.id == queue_id)
    if await conn.scalar(query) is None:
        raise NotFound("No such queue.", code="queue_not_found")
    values = {
        "state": "waiting",
        "assigned_user_id": None,
        "assigned_user_name": None,
        "queue_id": queue_id,
        "queued_at": utcnow(),
        "passed_over": None,
        **offers.NO_OFFER,
    }
    return values, "You are being connected to another colleague."


async def _system_message(
    conn: AsyncConnection, account_id: str, conversation_id: str, text: str
) -> tuple[RowMapping, Frame]:
    """A system message to the visitor, stored with its event and frame; the conversation with its new seq."""
    row = await repo.reserve_seq(conn, account_id, conversation_id)
    assert row is not None
    message = MessageOut(
        id=new_id(),
        conversation_id=conversation_id,
        seq=row["last_seq"],
        client_msg_id=f"transfer-{new_id()}",
        sender_type="system",
        sender_id=None,
        sender_name=None,
        text=text,
        created_at=utcnow(),
    )
    created = MessageCreated(
        conversation_id=conversation_id,
        message_id=message.id,
        seq=message.seq,
        sender_type="system",
        sender_id=None,
        text_length=len(text),
        created_at=message.created_at,
    )
    (frame,) = await audience.frames_for(
        conn, row, {"type": "message.created", "message": message.model_dump(mode="json")}
    )
    values = {**message.model_dump(), "account_id": account_id}
    await repo.insert_message(conn, values, outbox_row(created.to_event(account_id)), frame.row())
    return row, frame


async def transfer(
    runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, conversation_id: str, body: Transfer
) -> ConversationOut:
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        before = await open_conversation(conn, caller, conversation_id)  # under the routing lock
        members = await audience.members_of(conn, conversation_id, before["kind"])
        check_in_it(caller, before, members)
        if body.to_operator_id is not None:
            values, text = await _to_operator(conn, caller, before, body.to_operator_id)
        else:
            values, text = await _to_queue(conn, caller, body.to_queue_id or "")
        now = utcnow()
        await repo.change_conversation(conn, conversation_id, values)
        new_holder = values["assigned_user_id"]
        if new_holder is not None:  # invited before, assigned now
            theirs = (conversation_participants.c.conversation_id == conversation_id) & (
                conversation_participants.c.user_id == new_holder
            )
            await conn.execute(delete(conversation_participants).where(theirs))
        from_user = before["assigned_user_id"] if before["state"] == "active" else None
        await add_presence_changed(conn, caller.account_id, [u for u in (from_user, new_holder) if u], now)
        row, message_frame = await _system_message(conn, caller.account_id, conversation_id, text)
        conversation = await audience.view(conn, row, caller)
        also = (from_user,) if from_user else ()
        updated = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
        staged += await audience.stage(conn, row, updated, before=before, also=also)
        staged.append(message_frame)
        transferred = {
            "type": "conversation.transferred",
            "conversation": conversation.model_dump(mode="json"),
            "from_user_id": from_user,
            "to_user_id": body.to_operator_id,
            "to_queue_id": body.to_queue_id,
            "note": body.note,
        }
        staged += await audience.stage(conn, row, transferred, visitors=False)
        if body.to_queue_id is not None:
            staged += await offers.route(
                conn, runtime, caller.account_id, now, await default_max_chats(conn, caller.account_id)
            )
            routed = await repo.conversation(conn, caller.account_id, conversation_id)
            assert routed is not None
            conversation = await audience.view(conn, routed, caller)
    runtime.after_commit()
    for frame in staged:
        await frames.publish(frame)
    return conversation
