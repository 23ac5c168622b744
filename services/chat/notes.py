"""Internal notes (OPS-5): what operators write for each other inside a conversation.

A note is not a message: it is stored in `conversation_notes`, never in `messages`, so nothing that reads
messages (the visitor's fetch and resume, the socket's history, the transcript emailed to the visitor) can
show it. Its `conversation.note` frame goes to the staff channels of the conversation only (`audience`, never
`visitor:`); on `account:` a `conversation.*` frame is given to managers' sockets only (the gateway's hub).
Whoever sees the conversation among the staff reads and adds its notes (a visitor: 403 by role).
"""

from sqlalchemy import RowMapping, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import repository as repo
from services.chat.api.contact_schemas import NoteOut
from services.chat.contact_tables import conversation_notes
from services.chat.realtime import PendingFrames
from services.common.db import utcnow
from services.common.errors import Conflict
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

NOTE_FRAME = "conversation.note"
MAX_NOTES = 200  # a conversation's notes, all sent in one answer: bounded


def note_out(row: RowMapping) -> NoteOut:
    return NoteOut.model_validate(dict(row))


async def notes_of(conn: AsyncConnection, conversation_id: str) -> list[NoteOut]:
    query = (
        select(conversation_notes)
        .where(conversation_notes.c.conversation_id == conversation_id)
        .order_by(conversation_notes.c.created_at, conversation_notes.c.id)
    )
    return [note_out(row) for row in (await conn.execute(query)).mappings()]


async def list_notes(runtime: ServiceRuntime, operator: Identity, conversation_id: str) -> list[NoteOut]:
    async with runtime.db.reading() as conn:
        await audience.check_visible(
            conn, operator, await repo.conversation(conn, operator.account_id, conversation_id)
        )
        return await notes_of(conn, conversation_id)


async def add_note(
    runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, conversation_id: str, text: str
) -> NoteOut:
    async with runtime.db.transaction() as conn:
        row = await audience.check_visible(
            conn, operator, await repo.conversation(conn, operator.account_id, conversation_id)
        )
        written = select(func.count()).where(conversation_notes.c.conversation_id == conversation_id)
        if (await conn.scalar(written) or 0) >= MAX_NOTES:
            raise Conflict(f"A conversation holds at most {MAX_NOTES} notes.", code="too_many_notes")
        values = {
            "id": new_id(),
            "conversation_id": conversation_id,
            "account_id": operator.account_id,
            "author_id": operator.user_id or "",
            "author_name": operator.name,
            "text": text,
            "created_at": utcnow(),
        }
        await conn.execute(insert(conversation_notes).values(**values))
        note = NoteOut.model_validate(values)
        body = {"type": NOTE_FRAME, "note": note.model_dump(mode="json")}
        staged = await audience.stage(conn, row, body, visitors=False)
    for frame in staged:
        await frames.publish(frame)
    return note
