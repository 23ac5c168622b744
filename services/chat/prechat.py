"""The pre-chat form (EMB-3): each site's choice of fields (name, email, phone, the site's own question; each off,
optional or required; by default all off, so no form), and the visitor's answers, checked against it on the server.

Kept by the chat service per (account, site). An admin names a site only if chat's read model of the gateway's
sites (`chat_sites`, `sites.py`) says it is of their account: another account's site, an unknown or a deleted
one is 404 `site_not_found`. A visitor reads and answers their own site's form (the site in their token). An
email or a phone given makes the visitor a contact's (`contacts.py`); a name alone names the visitor's contact
too; the answer to the question is kept per visitor (`prechat_answers`, the latest) and shown on the card.

The server requires the form: a visitor starts a conversation (`POST /api/v1/conversations`) only when the
form's required fields are answered (`unanswered`, 422 `prechat_required` naming them otherwise). Answered means
answered since the form last changed (the answers were checked against it then), or else known of the visitor
now: their contact's name, email or phone (typed before, or given by the site's identify) and their answer to
the question. A conversation the visitor did not ask for skips the form: an invitation accepted (an operator's
call or a rule's, `invited.py`: as in peer products, the invitation is the greeting), a group an operator starts
(`group.py`); the offline form (`tickets`) asks its own name and email.
"""

import logging

from pydantic import ValidationError
from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import contacts
from services.chat.api.contact_schemas import (
    PrechatAccepted,
    PrechatAnswers,
    PrechatFields,
    PrechatFormOut,
    VisitorPrechatForm,
)
from services.chat.contact_tables import prechat_answers, prechat_forms
from services.chat.queues import Unprocessable
from services.chat.sites import SITES
from services.common.db import upsert_insert, utcnow
from services.common.errors import AppError
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

log = logging.getLogger("floorwalker.chat")
FIELD_NAMES = ("name", "email", "phone", "question")


class PrechatRequired(AppError):
    """422: the site's pre-chat form has required fields this visitor has not answered (`details` names them)."""

    status_code = 422
    code = "prechat_required"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"Answer the pre-chat form first (POST /api/v1/prechat): {', '.join(missing)}.",
            details=[{"field": name, "message": "this field is required", "type": "missing"} for name in missing],
        )
        self.missing = missing


def _parsed(stored: object, site_id: str) -> PrechatFields:
    try:
        return PrechatFields.model_validate(stored) if stored else PrechatFields()
    except ValidationError:  # stored by an older version in a shape no longer valid: no form rather than a 500
        log.warning("pre-chat form of site %s is not valid any more; none shown", site_id)
        return PrechatFields()


async def fields_of(conn: AsyncConnection, account_id: str, site_id: str) -> PrechatFields:
    query = select(prechat_forms.c.fields).where(
        prechat_forms.c.account_id == account_id, prechat_forms.c.site_id == site_id
    )
    return _parsed(await conn.scalar(query), site_id)


async def _answers_row(conn: AsyncConnection, account_id: str, visitor_id: str) -> RowMapping | None:
    """The visitor's stored answers: `site_id`, `answer` (to the question) and `answered_at`."""
    answers = prechat_answers.c
    query = select(answers.site_id, answers.answer, answers.answered_at).where(
        answers.account_id == account_id, answers.visitor_id == visitor_id
    )
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def unanswered(conn: AsyncConnection, account_id: str, site_id: str, visitor_id: str) -> list[str]:
    """The required fields of the site's form this visitor has not answered, in the form's order ([]: none)."""
    forms = prechat_forms.c
    query = select(forms.fields, forms.updated_at).where(forms.account_id == account_id, forms.site_id == site_id)
    form_row = (await conn.execute(query)).mappings().first()
    if form_row is None:
        return []
    fields = _parsed(form_row["fields"], site_id)
    required = [name for name in FIELD_NAMES if getattr(fields, name) == "required"]
    if not required:
        return []
    answers = await _answers_row(conn, account_id, visitor_id)
    if answers is not None and answers["site_id"] == site_id and answers["answered_at"] >= form_row["updated_at"]:
        return []  # answered this form as it is now: every required field was checked then
    contact = await contacts.contact_of_visitor(conn, account_id, visitor_id)
    known = {name: contact[name] if contact is not None else None for name in ("name", "email", "phone")}
    known["question"] = answers["answer"] if answers is not None else None
    return [name for name in required if not known[name]]


async def check_answered(conn: AsyncConnection, visitor: Identity) -> None:
    """Before a visitor's conversation starts: 422 `prechat_required` naming the required fields not answered."""
    assert visitor.site_id and visitor.visitor_id
    missing = await unanswered(conn, visitor.account_id, visitor.site_id, visitor.visitor_id)
    if missing:
        raise PrechatRequired(missing)


async def form(runtime: ServiceRuntime, admin: Identity, site_id: str) -> PrechatFormOut:
    async with runtime.db.reading() as conn:
        await SITES.check(conn, admin, site_id)
        return PrechatFormOut(site_id=site_id, fields=await fields_of(conn, admin.account_id, site_id))


async def visitor_form(runtime: ServiceRuntime, visitor: Identity) -> VisitorPrechatForm:
    if not visitor.site_id or not visitor.visitor_id:  # a visitor of no site: no form
        return VisitorPrechatForm(fields=PrechatFields(), shown=False, answered=False)
    async with runtime.db.reading() as conn:
        fields = await fields_of(conn, visitor.account_id, visitor.site_id)
        answers = await _answers_row(conn, visitor.account_id, visitor.visitor_id)
        # answered, and nothing the form requires now is missing (a field made required since: asked again)
        answered = answers is not None and not await unanswered(
            conn, visitor.account_id, visitor.site_id, visitor.visitor_id
        )
    return VisitorPrechatForm(fields=fields, shown=fields.shown, answered=answered)


async def save_form(runtime: ServiceRuntime, admin: Identity, site_id: str, fields: PrechatFields) -> PrechatFormOut:
    now = utcnow()
    values = {"account_id": admin.account_id, "site_id": site_id, "fields": fields.model_dump(), "updated_at": now}
    async with runtime.db.transaction() as conn:
        await SITES.check(conn, admin, site_id, for_update=True)
        statement = upsert_insert(conn, prechat_forms).values(**values)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[prechat_forms.c.account_id, prechat_forms.c.site_id],
                set_={"fields": values["fields"], "updated_at": now},
            )
        )
    return PrechatFormOut(site_id=site_id, fields=fields)


def check_answers(fields: PrechatFields, answers: PrechatAnswers) -> None:
    """A required field left empty, or a field the form does not ask: 422 naming it."""
    for name in FIELD_NAMES:
        mode = getattr(fields, name)
        given = getattr(answers, name)
        if mode == "required" and not given:
            raise Unprocessable(name, "this field is required", "missing")
        if mode == "off" and given:
            raise Unprocessable(name, "this form does not ask for it", "not_asked")


async def _keep_answer(runtime: ServiceRuntime, visitor: Identity, fields: PrechatFields, answer: str | None) -> None:
    assert visitor.site_id and visitor.visitor_id
    now = utcnow()
    values = {
        "account_id": visitor.account_id,
        "visitor_id": visitor.visitor_id,
        "site_id": visitor.site_id,
        "question": fields.question_label if answer else None,
        "answer": answer,
        "answered_at": now,
    }
    async with runtime.db.transaction() as conn:
        statement = upsert_insert(conn, prechat_answers).values(**values)
        changes = {k: values[k] for k in ("site_id", "question", "answer", "answered_at")}
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[prechat_answers.c.account_id, prechat_answers.c.visitor_id], set_=changes
            )
        )


async def submit(runtime: ServiceRuntime, visitor: Identity, answers: PrechatAnswers) -> PrechatAccepted:
    if not visitor.site_id or not visitor.visitor_id:
        raise Unprocessable("body", "this site has no pre-chat form", "no_form")
    async with runtime.db.reading() as conn:
        fields = await fields_of(conn, visitor.account_id, visitor.site_id)
    if not fields.shown:
        raise Unprocessable("body", "this site has no pre-chat form", "no_form")
    check_answers(fields, answers)
    await _keep_answer(runtime, visitor, fields, answers.question)
    if not (answers.name or answers.email or answers.phone):
        return PrechatAccepted(contact=False)
    details = {"name": answers.name, "email": answers.email, "phone": answers.phone}
    await contacts.link_visitor(runtime, visitor, details, from_site=False, by="prechat_form")
    return PrechatAccepted(contact=bool(answers.email or answers.phone))
