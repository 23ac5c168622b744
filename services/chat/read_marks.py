"""Read marks (EMB-8): how far the visitor and each operator in a conversation have read.

A client tells chat the last seq it showed (the gateway's `read` socket frame); a mark only moves forward
(one upsert: a lower or equal seq changes nothing and announces nothing), and is cut to the conversation's
last message. A mark that moved is announced to the conversation's audience as `conversation.read`
`{conversation_id, reader: "visitor"|"operator", reader_id, seq}`, staged with the change (a durable realtime
frame: `realtime.py`). The widget shows its visitor's messages up to an operator's mark as read, the console
the operators' messages up to the visitor's. Who counts: the visitor(s), the assigned operator and those
invited; a watcher's or another manager's reading tells nobody anything (watchers are silent). After a
reconnect clients get the marks again with their resume (`marks`).
"""

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import repository as repo
from services.chat.models import read_marks
from services.chat.realtime import Frame, PendingFrames
from services.common.db import upsert_insert, utcnow
from services.common.errors import NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

marks_c = read_marks.c


class ReadMark(BaseModel):
    reader: Literal["visitor", "operator"]
    reader_id: str
    seq: int


class ReadMarks(BaseModel):
    conversation_id: str
    marks: list[ReadMark]


def _reader(row: Any, members: audience.Members, identity: Identity) -> Literal["visitor", "operator"] | None:
    """Whose reading counts: the visitor's, and that of the operators who talk in the conversation."""
    if not identity.is_user:
        return "visitor"
    if identity.user_id == row["assigned_user_id"] or members.role_of(identity.user_id) == "invited":
        return "operator"
    return None


async def mark(
    runtime: ServiceRuntime, frames: PendingFrames, identity: Identity, conversation_id: str, seq: int
) -> ReadMarks:
    """Move the caller's mark to `seq` (at most the last message); the conversation's marks after it."""
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        row = await audience.check_visible(
            conn, identity, await repo.conversation(conn, identity.account_id, conversation_id)
        )
        members = await audience.members_of(conn, row["id"], row["kind"] or "direct")
        reader = _reader(row, members, identity)
        seq = min(seq, row["last_seq"])
        reader_id = identity.user_id if identity.is_user else identity.visitor_id
        if reader is not None and reader_id and seq > 0 and await _advance(conn, row, reader, reader_id, seq):
            body = {
                "type": "conversation.read",
                "conversation_id": row["id"],
                "reader": reader,
                "reader_id": reader_id,
                "seq": seq,
            }
            staged = await audience.stage(conn, row, body, visitors=True)
        found = await _marks(conn, row["id"])
    for frame in staged:
        await frames.publish(frame)
    return ReadMarks(conversation_id=conversation_id, marks=found)


async def _advance(conn: AsyncConnection, row: Any, reader: str, reader_id: str, seq: int) -> bool:
    values = {
        "conversation_id": row["id"],
        "reader_id": reader_id,
        "account_id": row["account_id"],
        "reader": reader,
        "seq": seq,
        "read_at": utcnow(),
    }
    insert = upsert_insert(conn, read_marks).values(values)
    statement = insert.on_conflict_do_update(
        index_elements=["conversation_id", "reader_id"],
        set_={"seq": insert.excluded.seq, "read_at": insert.excluded.read_at},
        where=marks_c.seq < insert.excluded.seq,
    )
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def _marks(conn: AsyncConnection, conversation_id: str) -> list[ReadMark]:
    query = (
        select(marks_c.reader, marks_c.reader_id, marks_c.seq)
        .where(marks_c.conversation_id == conversation_id)
        .order_by(marks_c.reader_id)
    )
    return [ReadMark.model_validate(dict(r)) for r in (await conn.execute(query)).mappings()]


async def marks_of(runtime: ServiceRuntime, identity: Identity, conversation_id: str) -> ReadMarks:
    """The conversation's marks, for who may see it (else 404)."""
    async with runtime.db.reading() as conn:
        row = await repo.conversation(conn, identity.account_id, conversation_id)
        if row is None or not await audience.may_see(conn, identity, row):
            raise NotFound("No such conversation.", code="conversation_not_found")
        return ReadMarks(conversation_id=conversation_id, marks=await _marks(conn, conversation_id))
