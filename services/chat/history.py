"""The history of closed chats (OPS-3) and reading one conversation's transcript (read-only).

Search: by visitor (the contact's name or email), operator (the assigned one), date range (when it started)
and text (in any message); case-insensitive `LIKE` (`lower(...)`, the same on SQLite and PostgreSQL); newest
first, by pages. Managers search the whole account; an operator, the chats they took part in (assigned,
invited or watching).

A transcript is readable by managers, by an operator who sees the conversation (`audience`), and by an operator
who sees an open conversation of the same contact or visitor (the customer card's earlier conversations).
"""

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, RowMapping, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, contacts, notes
from services.chat import repository as repo
from services.chat.api.contact_schemas import HistoryPage, Transcript, TranscriptMessage
from services.chat.contact_tables import contacts as contact_table
from services.chat.contact_tables import visitor_contacts
from services.chat.models import conversation_participants, conversations, messages
from services.common.errors import NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

c = conversations.c


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _aware(moment: datetime) -> datetime:
    """A time without a zone (`2026-12-01`, `2026-12-01T09:00`) is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _took_part(account_id: str, user_id: str) -> ColumnElement[bool]:
    parts = conversation_participants.c
    theirs = select(parts.conversation_id).where(parts.account_id == account_id, parts.user_id == user_id)
    return or_(c.assigned_user_id == user_id, c.id.in_(theirs))


async def search(
    runtime: ServiceRuntime,
    caller: Identity,
    *,
    visitor: str | None,
    operator_id: str | None,
    since: datetime | None,
    until: datetime | None,
    text: str | None,
    offset: int,
    limit: int,
) -> HistoryPage:
    link = visitor_contacts.c
    person = contact_table.c
    joined = conversations.outerjoin(
        visitor_contacts, (link.account_id == c.account_id) & (link.visitor_id == c.visitor_id)
    ).outerjoin(contact_table, person.id == link.contact_id)
    where: list[ColumnElement[bool]] = [c.account_id == caller.account_id, c.state == "closed"]
    if not audience.is_manager(caller):
        where.append(_took_part(caller.account_id, caller.user_id or ""))
    if visitor:
        pattern = _like(visitor)
        where.append(
            or_(
                func.lower(person.name).like(pattern, escape="\\"),
                func.lower(person.email).like(pattern, escape="\\"),
                person.phone.like(pattern, escape="\\"),
            )
        )
    if operator_id:
        where.append(c.assigned_user_id == operator_id)
    if since is not None:
        where.append(c.created_at >= _aware(since))
    if until is not None:
        where.append(c.created_at < _aware(until))
    if text:
        said = select(messages.c.id).where(
            messages.c.conversation_id == c.id, func.lower(messages.c.text).like(_like(text), escape="\\")
        )
        where.append(exists(said))
    query = (
        select(conversations, person.name.label("contact_name"), person.email.label("contact_email"))
        .select_from(joined)
        .where(*where)
        .order_by(c.created_at.desc(), c.id)
        .offset(offset)
        .limit(limit)
    )
    counted = select(func.count()).select_from(joined).where(*where)
    async with runtime.db.reading() as conn:
        rows = (await conn.execute(query)).mappings().all()
        total = int(await conn.scalar(counted) or 0)
        found = await contacts.summaries(conn, rows)
    return HistoryPage(conversations=found, total=total, offset=offset, limit=limit)


async def _readable(conn: AsyncConnection, caller: Identity, row: RowMapping | None) -> RowMapping:
    if row is not None and (audience.is_manager(caller) or await audience.may_see(conn, caller, row)):
        return row
    if row is not None and row["visitor_id"]:
        contact = await contacts.contact_of_visitor(conn, caller.account_id, row["visitor_id"])
        query = select(conversations).where(
            c.account_id == caller.account_id,
            c.state != "closed",
            contacts.of_contact(caller.account_id, contact["id"] if contact else None, row["visitor_id"]),
        )
        for open_row in (await conn.execute(query)).mappings():
            if await audience.may_see(conn, caller, open_row):
                return row
    raise NotFound("No such conversation.", code="conversation_not_found")


async def transcript(runtime: ServiceRuntime, caller: Identity, conversation_id: str) -> Transcript:
    async with runtime.db.reading() as conn:
        row = await _readable(conn, caller, await repo.conversation(conn, caller.account_id, conversation_id))
        contact = await contacts.contact_of_visitor(conn, caller.account_id, row["visitor_id"] or "")
        named = {**row, "contact_name": contact["name"] if contact else None}
        named["contact_email"] = contact["email"] if contact else None
        (summary,) = await contacts.summaries(conn, [named])
        said = await repo.messages_of(conn, caller.account_id, [conversation_id])
        written = await notes.notes_of(conn, conversation_id)
    return Transcript(
        conversation=summary,
        messages=[TranscriptMessage.model_validate(dict(m)) for m in said],
        notes=written,
    )
