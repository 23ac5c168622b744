"""Contacts (CHAT-8): the person behind a visitor, and the customer card an operator sees beside a chat.

A visitor becomes a contact's when they give an email or a phone in the pre-chat form (`prechat.py`) or when
the site identifies them (`widget/identify`, forwarded by the gateway). One contact per account for the same
identified id, the same email or the same phone, found in that order; otherwise the visitor's own contact, if
it has none of those set to something else; otherwise a new one. A field is filled in only where the contact
lacks it and no other contact of the account has that value. The name is the latest given, except that a name
typed in the pre-chat form (or sent by an unsigned identify) never renames a contact the site identified (the
site's data wins): anyone can type anyone's email, so the card says whether the site identified the person
(`identified`) and how this visitor was attached to them (`linked_by`, `verified`): by the site's identify, or
by what they typed in the pre-chat form (unverified, though peers attach it too).

How a link was made is stored with it (`visitor_contacts.linked_by`): `site_signed` (an identify whose signature
the gateway checked), `site_unsigned` (an identify without one, which any page script can send: anyone's word)
or `prechat_form`. The card shows the first two as `linked_by: site`, and only `site_signed` as `verified`.
Each identify relinks (and re-dates) the visitor and writes what it was; answers naming the contact they have
already leave the link as it was, so a visitor the site identified who types their own email stays `site`. A
link without it (written before the column, by an older process) is read as migration 13a8c0de0007 filled the
others: `prechat_form` for a contact no identify ever reached (`external_id` null), `site_unsigned` otherwise.

A conversation is its visitor's contact's (`visitor_contacts`); the card lists the contact's other
conversations (those of every visitor linked to it, and of this visitor), newest first.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import RowMapping, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import repository as repo
from services.chat.api.contact_schemas import (
    ContactCard,
    ContactOut,
    ConversationSummary,
    IdentifiedVisitor,
    LinkedBy,
    PrechatAnswerOut,
    normal_email,
    normal_phone,
)
from services.chat.contact_tables import contacts, prechat_answers, visitor_contacts
from services.chat.models import conversations, messages
from services.common.db import upsert_insert, utcnow
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

KEYS = ("external_id", "email", "phone")
MAX_EARLIER = 50
FIRST_LINE = 200
LinkKind = Literal["site_signed", "site_unsigned", "prechat_form"]  # `visitor_contacts.linked_by`


async def contact_of_visitor(conn: AsyncConnection, account_id: str, visitor_id: str) -> RowMapping | None:
    query = (
        select(contacts, visitor_contacts.c.linked_at, visitor_contacts.c.linked_by)
        .join(visitor_contacts, visitor_contacts.c.contact_id == contacts.c.id)
        .where(visitor_contacts.c.account_id == account_id, visitor_contacts.c.visitor_id == visitor_id)
    )
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def _holder(conn: AsyncConnection, account_id: str, column: str, value: str) -> RowMapping | None:
    query = select(contacts).where(contacts.c.account_id == account_id, contacts.c[column] == value)
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def _find(conn: AsyncConnection, account_id: str, visitor_id: str, keys: dict[str, str]) -> RowMapping | None:
    for column in KEYS:
        if column in keys and (found := await _holder(conn, account_id, column, keys[column])) is not None:
            return found
    current = await contact_of_visitor(conn, account_id, visitor_id)
    if current is not None and all(current[k] in (None, v) for k, v in keys.items()):
        return current
    return None


async def _link(
    conn: AsyncConnection, account_id: str, visitor_id: str, details: dict[str, str], from_site: bool, by: LinkedBy
) -> str:
    keys = {k: v for k, v in details.items() if k in KEYS}
    now = utcnow()
    found = await _find(conn, account_id, visitor_id, keys)
    if found is None:
        contact_id = new_id()
        values: dict[str, Any] = {"id": contact_id, "account_id": account_id, "created_at": now, "updated_at": now}
        await conn.execute(contacts.insert().values(**values, **details))
    else:
        contact_id = found["id"]
        changes: dict[str, Any] = {}
        for column, value in keys.items():
            if found[column] is None and await _holder(conn, account_id, column, value) is None:
                changes[column] = value
        if details.get("name") and (from_site or found["external_id"] is None or found["name"] is None):
            changes["name"] = details["name"]
        if changes:
            await conn.execute(update(contacts).where(contacts.c.id == contact_id).values(**changes, updated_at=now))
    if by == "prechat_form" and await _linked_contact(conn, account_id, visitor_id) == contact_id:
        return contact_id  # theirs already (the site's, maybe): typing it again leaves how and when it was linked
    kind: LinkKind = "prechat_form" if by == "prechat_form" else "site_signed" if from_site else "site_unsigned"
    link = {"contact_id": contact_id, "linked_at": now, "linked_by": kind}
    statement = upsert_insert(conn, visitor_contacts).values(account_id=account_id, visitor_id=visitor_id, **link)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[visitor_contacts.c.account_id, visitor_contacts.c.visitor_id], set_=link
        )
    )
    return contact_id


async def _linked_contact(conn: AsyncConnection, account_id: str, visitor_id: str) -> str | None:
    link = visitor_contacts.c
    found: str | None = await conn.scalar(
        select(link.contact_id).where(link.account_id == account_id, link.visitor_id == visitor_id)
    )
    return found


async def link_visitor(
    runtime: ServiceRuntime,
    visitor: Identity,
    details: dict[str, str | None],
    *,
    from_site: bool,
    by: LinkedBy = "prechat_form",
) -> str:
    """The visitor is this contact's (found or made); returns its id. `from_site`: the site's own word (a signed
    identify: its name wins, and the link is `site_signed`); `by`: what links them (the site's identify, signed
    or not, relinks them each time; the pre-chat form only when it names another contact). Two visitors giving
    the same new email at once: the second insert hits the unique constraint and is made again, finding the
    first's contact."""
    assert visitor.visitor_id
    given = {k: v for k, v in details.items() if v}
    for attempt in range(3):
        try:
            async with runtime.db.transaction() as conn:
                return await _link(conn, visitor.account_id, visitor.visitor_id, given, from_site, by)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def identified(runtime: ServiceRuntime, visitor: Identity, body: IdentifiedVisitor) -> str:
    """The site identified its visitor (the gateway checked the signature where the site requires one)."""
    email = phone = None
    try:
        email = normal_email(body.email) if body.email else None
    except ValueError:
        pass  # the site's own data: a malformed one is left out, the rest kept
    try:
        phone = normal_phone(body.phone) if body.phone else None
    except ValueError:
        pass
    return await link_visitor(
        runtime,
        visitor,
        {"external_id": body.user_id, "email": email, "phone": phone, "name": body.name},
        from_site=body.verified,  # an unsigned identify is anyone's word: it never renames an identified contact
        by="site",
    )


async def forget_visitor(conn: AsyncConnection, account_id: str, visitor_id: str) -> None:
    """An erased visitor (data protection): their link, their pre-chat answers, and their contact when no other
    visitor of it is left (its email, phone and name go too)."""
    contact = await contact_of_visitor(conn, account_id, visitor_id)
    link = visitor_contacts.c
    await conn.execute(delete(visitor_contacts).where(link.account_id == account_id, link.visitor_id == visitor_id))
    answers = prechat_answers.c
    await conn.execute(
        delete(prechat_answers).where(answers.account_id == account_id, answers.visitor_id == visitor_id)
    )
    if contact is not None:
        others = await conn.scalar(select(func.count()).where(link.contact_id == contact["id"]))
        if not others:
            await conn.execute(delete(contacts).where(contacts.c.id == contact["id"]))


async def prechat_of(conn: AsyncConnection, account_id: str, visitor_id: str) -> PrechatAnswerOut | None:
    answers = prechat_answers.c
    query = select(prechat_answers).where(answers.account_id == account_id, answers.visitor_id == visitor_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None or not row["answer"]:
        return None
    return PrechatAnswerOut(question=row["question"], answer=row["answer"], answered_at=row["answered_at"])


def link_of(contact: RowMapping) -> tuple[LinkedBy, bool]:
    """How the card shows the link of `contact` (a row of `contact_of_visitor`): `linked_by` and `verified`."""
    kind = contact["linked_by"] or ("prechat_form" if contact["external_id"] is None else "site_unsigned")
    return ("prechat_form", False) if kind == "prechat_form" else ("site", kind == "site_signed")


def contact_out(row: RowMapping) -> ContactOut:
    """A contact for the card; `row` from `contact_of_visitor` (with the visitor's link)."""
    linked_by, verified = link_of(row)
    return ContactOut(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        identified=row["external_id"] is not None,
        created_at=row["created_at"],
        linked_by=linked_by,
        verified=verified,
    )


async def first_lines(conn: AsyncConnection, conversation_ids: Sequence[str]) -> dict[str, str]:
    if not conversation_ids:
        return {}
    query = select(messages.c.conversation_id, messages.c.text).where(
        messages.c.conversation_id.in_(conversation_ids), messages.c.seq == 1
    )
    return {row.conversation_id: row.text[:FIRST_LINE] for row in await conn.execute(query)}


async def summaries(conn: AsyncConnection, rows: Sequence[RowMapping | Mapping[str, Any]]) -> list[ConversationSummary]:
    """Conversation rows (with `contact_name`, `contact_email` when joined) as summaries with their first lines."""
    lines = await first_lines(conn, [row["id"] for row in rows])
    return [
        ConversationSummary(
            id=row["id"],
            state=row["state"],
            created_at=row["created_at"],
            closed_at=row["closed_at"],
            operator_name=row["assigned_user_name"],
            visitor_name=row.get("contact_name"),
            visitor_email=row.get("contact_email"),
            first_line=lines.get(row["id"]),
        )
        for row in rows
    ]


def of_contact(account_id: str, contact_id: str | None, visitor_id: str) -> Any:
    """The conversations of the contact's visitors and of this visitor."""
    linked = select(visitor_contacts.c.visitor_id).where(
        visitor_contacts.c.account_id == account_id, visitor_contacts.c.contact_id == contact_id
    )
    if contact_id is None:
        return conversations.c.visitor_id == visitor_id
    return or_(conversations.c.visitor_id == visitor_id, conversations.c.visitor_id.in_(linked))


async def card(runtime: ServiceRuntime, operator: Identity, conversation_id: str) -> ContactCard:
    """The customer card of a conversation the caller sees (404 otherwise)."""
    async with runtime.db.reading() as conn:
        row = await audience.check_visible(
            conn, operator, await repo.conversation(conn, operator.account_id, conversation_id)
        )
        visitor_id = row["visitor_id"]
        if not visitor_id:
            return ContactCard(contact=None, earlier=[])
        contact = await contact_of_visitor(conn, operator.account_id, visitor_id)
        answered = await prechat_of(conn, operator.account_id, visitor_id)
        query = (
            select(conversations)
            .where(
                conversations.c.account_id == operator.account_id,
                conversations.c.id != conversation_id,
                of_contact(operator.account_id, contact["id"] if contact else None, visitor_id),
            )
            .order_by(conversations.c.created_at.desc())
            .limit(MAX_EARLIER)
        )
        earlier = await summaries(conn, (await conn.execute(query)).mappings().all())
    return ContactCard(contact=contact_out(contact) if contact else None, prechat=answered, earlier=earlier)
