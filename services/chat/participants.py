"""Who is in a conversation besides its assigned operator (CHAT-6, OPS-7): `conversation_participants`.

- `invite`: an operator in the conversation (assigned or invited), or a supervisor or admin, invites another
  operator of the account who is online; the invitee gets `conversation.invited` on their channel and from then
  every frame of the conversation, reads its history and writes in it.
- `remove`: a participant leaves (or the assigned operator, a supervisor or an admin removes them); the assigned
  operator is not a participant to remove (transfer the conversation, or close it).
- `watch` / `unwatch`: a supervisor or admin receives the frames of a conversation silently (the visitor is not
  told: frames to visitors list no watchers); `join`: they become a participant ("invited") who writes.
Each change runs under the account's routing lock (one change of a conversation's people at a time) and sends
`conversation.updated` to everyone who sees the conversation, and to whoever was removed.
"""

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, realtime
from services.chat import repository as repo
from services.chat.api.participant_schemas import Invite
from services.chat.api.schemas import ConversationOut
from services.chat.models import conversation_participants, operators
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing.capacity import lock_account
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

parts = conversation_participants.c


async def operator_of(conn: AsyncConnection, account_id: str, user_id: str) -> RowMapping:
    """An operator of the account chat knows (they have used the console); else 404 `operator_not_found`."""
    query = select(operators).where(operators.c.account_id == account_id, operators.c.user_id == user_id)
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("No such operator in this account.", code="operator_not_found")
    return row


async def open_conversation(conn: AsyncConnection, caller: Identity, conversation_id: str) -> RowMapping:
    """The conversation, locked for a change of its people (the routing lock), when the caller sees it and it is
    not closed."""
    await lock_account(conn, caller.account_id)
    row = await repo.conversation(conn, caller.account_id, conversation_id)
    row = await audience.check_visible(conn, caller, row)
    if row["state"] == "closed":
        raise Conflict("The conversation is closed.", code="conversation_closed")
    return row


def check_in_it(caller: Identity, row: RowMapping, members: audience.Members) -> None:
    """Managers, the assigned operator and those invited act on a conversation; others: 403."""
    if audience.is_manager(caller) or caller.user_id == row["assigned_user_id"]:
        return
    if members.role_of(caller.user_id) != "invited":
        raise Forbidden("Only an operator in this conversation may do this.", code="not_in_conversation")


async def _set_role(conn: AsyncConnection, row: RowMapping, user_id: str, name: str | None, role: str, by: str) -> None:
    found = select(parts.role).where(parts.conversation_id == row["id"], parts.user_id == user_id)
    if await conn.scalar(found) is None:
        values = {"conversation_id": row["id"], "account_id": row["account_id"], "user_id": user_id}
        await conn.execute(
            insert(conversation_participants).values(**values, name=name, role=role, added_by=by, added_at=utcnow())
        )
    else:
        mine = (parts.conversation_id == row["id"]) & (parts.user_id == user_id)
        await conn.execute(update(conversation_participants).where(mine).values(role=role))


async def _updated(
    conn: AsyncConnection, row: RowMapping, *, also: tuple[str, ...] = (), visitors: bool = True
) -> list[Frame]:
    conversation = ConversationOut.model_validate(dict(row))
    body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
    return await audience.stage(conn, row, body, also=also, visitors=visitors)


async def _publish(runtime: ServiceRuntime, frames: PendingFrames, staged: list[Frame]) -> None:
    runtime.after_commit()
    for frame in staged:
        await frames.publish(frame)


async def invite(
    runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, conversation_id: str, body: Invite
) -> ConversationOut:
    """Invite an operator into the conversation: 404 `operator_not_found` (not of the account), 409
    `operator_unavailable` (not online); one already in it stays as they are."""
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        row = await open_conversation(conn, caller, conversation_id)
        members = await audience.members_of(conn, conversation_id, row["kind"])
        check_in_it(caller, row, members)
        target = await operator_of(conn, caller.account_id, body.operator_id)
        user_id = target["user_id"]
        if user_id == row["assigned_user_id"] or members.role_of(user_id) == "invited":
            return await audience.view(conn, row, caller)
        if target["status"] != "online":
            raise Conflict(f"{target['name'] or 'This operator'} is not online.", code="operator_unavailable")
        await _set_role(conn, row, user_id, target["name"], "invited", caller.user_id or "")
        staged += await _updated(conn, row)
        conversation = await audience.view(conn, row, caller)
        invited = {
            "type": "conversation.invited",
            "conversation": conversation.model_dump(mode="json"),
            "user_id": user_id,
            "by_user_id": caller.user_id,
            "by_name": caller.name,
            "note": body.note,
        }
        frame = Frame(
            new_id(), (f"account:{caller.account_id}", audience.operator_channel(caller.account_id, user_id)), invited
        )
        await realtime.add(conn, frame)
        staged.append(frame)
    await _publish(runtime, frames, staged)
    return conversation


async def remove(
    runtime: ServiceRuntime, frames: PendingFrames, caller: Identity, conversation_id: str, user_id: str
) -> ConversationOut:
    """A participant leaves, or is removed by the assigned operator or a manager; one not in it: unchanged."""
    async with runtime.db.transaction() as conn:
        row = await open_conversation(conn, caller, conversation_id)
        members = await audience.members_of(conn, conversation_id, row["kind"])
        role = members.role_of(user_id)
        if role is None:
            if user_id == row["assigned_user_id"]:
                raise Conflict(
                    "The assigned operator does not leave: transfer the conversation or close it.",
                    code="assigned_operator",
                )
            return await audience.view(conn, row, caller)  # not (or no longer) in it: nothing to do
        if caller.user_id != user_id:
            check_in_it(caller, row, members)
            if not audience.is_manager(caller) and caller.user_id != row["assigned_user_id"]:
                raise Forbidden("Only the assigned operator or a manager removes others.", code="not_in_conversation")
        await conn.execute(
            delete(conversation_participants).where(parts.conversation_id == conversation_id, parts.user_id == user_id)
        )
        staged = await _updated(conn, row, also=(user_id,), visitors=role != "watching")
        conversation = await audience.view(conn, row, caller)
    await _publish(runtime, frames, staged)
    return conversation


async def watch(
    runtime: ServiceRuntime, frames: PendingFrames, manager: Identity, conversation_id: str
) -> ConversationOut:
    """A manager receives the conversation's frames silently; one in it already stays as they are."""
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        row = await open_conversation(conn, manager, conversation_id)
        members = await audience.members_of(conn, conversation_id, row["kind"])
        if manager.user_id != row["assigned_user_id"] and members.role_of(manager.user_id) is None:
            await _set_role(conn, row, manager.user_id or "", manager.name, "watching", manager.user_id or "")
            staged = await _updated(conn, row, visitors=False)
        conversation = await audience.view(conn, row, manager)
    await _publish(runtime, frames, staged)
    return conversation


async def unwatch(
    runtime: ServiceRuntime, frames: PendingFrames, manager: Identity, conversation_id: str
) -> ConversationOut:
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        row = await open_conversation(conn, manager, conversation_id)
        members = await audience.members_of(conn, conversation_id, row["kind"])
        if members.role_of(manager.user_id) == "watching":
            mine = (parts.conversation_id == conversation_id) & (parts.user_id == manager.user_id)
            await conn.execute(delete(conversation_participants).where(mine))
            staged = await _updated(conn, row, also=(manager.user_id or "",), visitors=False)
        conversation = await audience.view(conn, row, manager)
    await _publish(runtime, frames, staged)
    return conversation


async def join(
    runtime: ServiceRuntime, frames: PendingFrames, manager: Identity, conversation_id: str
) -> ConversationOut:
    """A manager joins: a participant who writes (from watching, or not in it yet)."""
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        row = await open_conversation(conn, manager, conversation_id)
        members = await audience.members_of(conn, conversation_id, row["kind"])
        if manager.user_id != row["assigned_user_id"] and members.role_of(manager.user_id) != "invited":
            await _set_role(conn, row, manager.user_id or "", manager.name, "invited", manager.user_id or "")
            staged = await _updated(conn, row)
        conversation = await audience.view(conn, row, manager)
    await _publish(runtime, frames, staged)
    return conversation
