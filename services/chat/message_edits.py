"""Edit, retract and quote messages (CHAT-5).

An operator edits or retracts a message they wrote, at any time (read or not, the conversation open or closed);
a supervisor or admin may change any operator's message. Visitors change nothing: what a visitor wrote is
evidence of what was said, and the spec asks it of operators only. Each change is one transaction that bumps the
message's `revision`, keeps the version it replaces in `message_versions` (revision 0, as written, is copied
there by the first change) and writes the `message.updated` frame to the conversation's audience
(`audience.frames_for`) as a pending realtime row: published after the commit, republished from its row if
that publish is lost. A retracted message's text is emptied in `messages` (what visitors and operators read);
its earlier versions stay for managers (`history`).

Resume: an edit takes no seq of the conversation (the seqs number messages; a client would see a hole). A
reconnecting client asks `GET .../messages?after_seq=N&changes=true`: the messages after N as always (with their
current text) and, in `changed`, the edited or retracted ones up to N; the gateway's socket `resume` sends those
as `message.updated` frames before the rest. A client keeps the copy with the highest `revision`.

A quote-reply names an earlier message of the same conversation by its seq (`check_quote`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, realtime
from services.chat import repository as repo
from services.chat.api.schemas import MessageOut
from services.chat.models import message_versions, messages
from services.chat.realtime import Frame, PendingFrames
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

CHANGED_LIMIT = 1000  # edited messages a resume answer carries at most (edits are rare)
m = messages.c
v = message_versions.c


@dataclass(frozen=True)
class Version:
    revision: int
    action: str  # "created" | "edited" | "retracted"
    text: str
    by_type: str
    by_id: str | None
    by_name: str | None
    at: datetime


async def check_quote(conn: AsyncConnection, conversation_id: str, quote_seq: int, new_seq: int) -> None:
    """A quote names an earlier message of this conversation; anything else is 422 `quote_not_found`."""
    found = None
    if quote_seq < new_seq:
        query = select(m.id).where(m.conversation_id == conversation_id, m.seq == quote_seq)
        found = await conn.scalar(query)
    if found is None:
        raise InvalidInput("The quoted message is not an earlier message of this conversation.", code="quote_not_found")


def _out(row: RowMapping | dict[str, Any]) -> MessageOut:
    return MessageOut.model_validate(dict(row))


def _check_text(runtime: ServiceRuntime, text: str) -> str:
    if not text.strip():
        raise InvalidInput("A message needs some text.", code="empty_text")
    limit = runtime.settings.max_message_bytes
    if len(text.encode()) > limit:
        raise PayloadTooLarge(f"A message may have at most {limit} bytes.", code="message_too_large")
    return text


async def _message_to_change(
    conn: AsyncConnection, identity: Identity, conversation_id: str, message_id: str
) -> tuple[RowMapping, RowMapping]:
    """The conversation and the message the caller may change (locked on PostgreSQL until the commit)."""
    conversation = await audience.check_visible(
        conn, identity, await repo.conversation(conn, identity.account_id, conversation_id)
    )
    query = select(messages).where(m.id == message_id, m.conversation_id == conversation_id).with_for_update()
    message = (await conn.execute(query)).mappings().first()
    if message is None:
        raise NotFound("No such message in this conversation.", code="message_not_found")
    if message["sender_type"] != "operator":
        raise Forbidden("Only an operator's message can be edited or retracted.", code="not_an_operator_message")
    if message["sender_id"] != identity.user_id and not audience.is_manager(identity):
        raise Forbidden("Only its author (or a supervisor or admin) may change a message.", code="not_your_message")
    return conversation, message


async def _write_change(
    conn: AsyncConnection, identity: Identity, message: RowMapping, action: str, text: str
) -> RowMapping:
    """Keep the versions (the original first, on the first change), then change the message."""
    now = utcnow()
    revision = message["revision"] + 1
    rows = []
    if message["revision"] == 0:
        rows.append(
            {
                "revision": 0,
                "action": "created",
                "text": message["text"],
                "by_type": message["sender_type"],
                "by_id": message["sender_id"],
                "by_name": message["sender_name"],
                "at": message["created_at"],
            }
        )
    rows.append(
        {
            "revision": revision,
            "action": action,
            "text": text,
            "by_type": "operator",
            "by_id": identity.user_id,
            "by_name": identity.name,
            "at": now,
        }
    )
    common = {
        "message_id": message["id"],
        "conversation_id": message["conversation_id"],
        "account_id": message["account_id"],
    }
    await conn.execute(insert(message_versions), [{"id": new_id(), **common, **row} for row in rows])
    values: dict[str, Any] = {"text": text, "revision": revision}
    values["retracted_at" if action == "retracted" else "edited_at"] = now
    query = update(messages).where(m.id == message["id"]).values(**values).returning(messages)
    changed: RowMapping = (await conn.execute(query)).mappings().one()
    return changed


async def _change(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    identity: Identity,
    conversation_id: str,
    message_id: str,
    text: str | None,
) -> MessageOut:
    """Edit (`text`) or retract (None) a message, announcing it to the conversation's audience."""
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        conversation, message = await _message_to_change(conn, identity, conversation_id, message_id)
        if message["retracted_at"] is not None:
            if text is None:
                return _out(message)  # retracted already: done
            raise Conflict("This message was retracted; it cannot be edited.", code="message_retracted")
        if text == message["text"]:
            return _out(message)  # nothing changes
        changed = await _write_change(conn, identity, message, "edited" if text else "retracted", text or "")
        out = _out(changed)
        body = {"type": "message.updated", "message": out.model_dump(mode="json")}
        staged = await audience.frames_for(conn, conversation, body)
        for frame in staged:
            await realtime.add(conn, frame)
    runtime.after_commit()
    for frame in staged:
        await frames.publish(frame)
    return out


async def edit(
    runtime: ServiceRuntime, frames: PendingFrames, identity: Identity, conversation_id: str, message_id: str, text: str
) -> MessageOut:
    return await _change(runtime, frames, identity, conversation_id, message_id, _check_text(runtime, text))


async def retract(
    runtime: ServiceRuntime, frames: PendingFrames, identity: Identity, conversation_id: str, message_id: str
) -> MessageOut:
    return await _change(runtime, frames, identity, conversation_id, message_id, None)


async def history(
    runtime: ServiceRuntime, manager: Identity, conversation_id: str, message_id: str
) -> tuple[MessageOut, list[Version]]:
    """A message and its versions, oldest first (one, as written, when it never changed)."""
    async with runtime.db.reading() as conn:
        await audience.check_visible(conn, manager, await repo.conversation(conn, manager.account_id, conversation_id))
        query = select(messages).where(m.id == message_id, m.conversation_id == conversation_id)
        message = (await conn.execute(query)).mappings().first()
        if message is None:
            raise NotFound("No such message in this conversation.", code="message_not_found")
        found = await conn.execute(
            select(v.revision, v.action, v.text, v.by_type, v.by_id, v.by_name, v.at)
            .where(v.message_id == message_id)
            .order_by(v.revision)
        )
        versions = [Version(**row) for row in found.mappings()]
    if not versions:
        versions = [
            Version(
                0,
                "created",
                message["text"],
                message["sender_type"],
                message["sender_id"],
                message["sender_name"],
                message["created_at"],
            )
        ]
    return _out(message), versions


async def changed_up_to(runtime: ServiceRuntime, conversation_id: str, up_to_seq: int) -> list[MessageOut]:
    """The edited or retracted messages of a conversation up to a seq (the caller may see it: checked)."""
    if up_to_seq < 1:
        return []
    query = (
        select(messages)
        .where(m.conversation_id == conversation_id, m.seq <= up_to_seq, m.revision > 0)
        .order_by(m.seq)
        .limit(CHANGED_LIMIT)
    )
    async with runtime.db.reading() as conn:
        return [_out(row) for row in (await conn.execute(query)).mappings()]
