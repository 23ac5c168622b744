"""The pre-chat form (EMB-3): each site's choice of fields (name, email, phone, a question; each off, optional or
required; by default the name, optional), and the visitor's answers, checked against it on the server.

Kept by the chat service per (account, site): a site id of another account names nothing of that account's (its
visitors read their own account's row), so an account can only ever change its own sites' forms. An email or
a phone given makes the visitor a contact's (`contacts.py`); a name alone names the visitor's contact too.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import contacts
from services.chat.api.contact_schemas import PrechatAccepted, PrechatAnswers, PrechatFields, PrechatFormOut
from services.chat.contact_tables import prechat_forms
from services.chat.queues import Unprocessable
from services.common.db import upsert_insert, utcnow
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


async def fields_of(conn: AsyncConnection, account_id: str, site_id: str) -> PrechatFields:
    query = select(prechat_forms.c.fields).where(
        prechat_forms.c.account_id == account_id, prechat_forms.c.site_id == site_id
    )
    stored = await conn.scalar(query)
    return PrechatFields.model_validate(stored) if stored else PrechatFields()


async def form(runtime: ServiceRuntime, caller: Identity, site_id: str) -> PrechatFormOut:
    async with runtime.db.reading() as conn:
        return PrechatFormOut(site_id=site_id, fields=await fields_of(conn, caller.account_id, site_id))


async def save_form(runtime: ServiceRuntime, admin: Identity, site_id: str, fields: PrechatFields) -> PrechatFormOut:
    now = utcnow()
    values = {"account_id": admin.account_id, "site_id": site_id, "fields": fields.model_dump(), "updated_at": now}
    async with runtime.db.transaction() as conn:
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
    for name, mode in fields.model_dump().items():
        given = getattr(answers, name)
        if mode == "required" and not given:
            raise Unprocessable(name, "this field is required", "missing")
        if mode == "off" and given:
            raise Unprocessable(name, "this form does not ask for it", "not_asked")


async def submit(runtime: ServiceRuntime, visitor: Identity, answers: PrechatAnswers) -> PrechatAccepted:
    assert visitor.site_id
    async with runtime.db.reading() as conn:
        fields = await fields_of(conn, visitor.account_id, visitor.site_id)
    check_answers(fields, answers)
    if not (answers.name or answers.email or answers.phone):
        return PrechatAccepted(contact=False)
    details = {"name": answers.name, "email": answers.email, "phone": answers.phone}
    await contacts.link_visitor(runtime, visitor, details)
    return PrechatAccepted(contact=bool(answers.email or answers.phone))
