"""The pre-chat form (EMB-3), the customer card (CHAT-8), internal notes (OPS-5) and the history of closed chats
(OPS-3). The logic is in `prechat.py`, `contacts.py`, `notes.py` and `history.py`."""

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator

from services.chat import contacts, history, notes, prechat
from services.chat.api.contact_schemas import (
    ContactCard,
    HistoryPage,
    IdentifiedVisitor,
    NoteIn,
    NoteList,
    NoteOut,
    PrechatAccepted,
    PrechatAnswers,
    PrechatFields,
    PrechatFormOut,
    Transcript,
    VisitorPrechatForm,
)
from services.chat.api.routes import Frames
from services.common.identity import Admin, Operator, Visitor
from services.common.service import Runtime
from services.common.validation import PathKey, QueryKey

router = APIRouter(tags=["contacts, notes and history"])
internal = APIRouter(prefix="/internal/v1/contacts", include_in_schema=False)
Words = Annotated[str | None, Query(max_length=200, description="Case-insensitive; empty or omitted: any.")]
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _iso_moment(value: object) -> object:
    """An ISO 8601 date and time (`2026-12-01T09:00:00Z`), never a number of seconds (`0.5`)."""
    if isinstance(value, str) and not ISO_MOMENT.match(value):
        raise ValueError("an ISO 8601 date and time, such as 2026-12-01T00:00:00Z")
    return value


Moment = Annotated[
    datetime | None,
    BeforeValidator(_iso_moment),
    Query(description="ISO 8601 date and time (without a zone: UTC)."),
]


@router.get("/api/v1/prechat-form", response_model=VisitorPrechatForm)
async def visitor_prechat_form(visitor: Visitor, runtime: Runtime) -> VisitorPrechatForm:
    """The visitor's site's pre-chat form: which fields to ask before the chat, each off, optional or required
    (`shown` false: no form), and whether this visitor answered it already."""
    return await prechat.visitor_form(runtime, visitor)


@router.post("/api/v1/prechat", response_model=PrechatAccepted)
async def submit_prechat(body: PrechatAnswers, visitor: Visitor, runtime: Runtime) -> PrechatAccepted:
    """The visitor's answers, checked against the site's form (422 naming a required field left empty, a field not
    asked, an email of the wrong shape or a phone without 6 to 15 digits). An email or phone makes the visitor the
    contact's who has it (a new contact otherwise)."""
    return await prechat.submit(runtime, visitor, body)


@router.get("/api/v1/prechat-forms", response_model=PrechatFormOut)
async def site_prechat_form(admin: Admin, runtime: Runtime, site_id: QueryKey) -> PrechatFormOut:
    """Admins: the pre-chat form of one of the account's sites (the default, no form, until one is saved); a site
    not of the account: 404 `site_not_found`."""
    return await prechat.form(runtime, admin, site_id)


@router.put("/api/v1/prechat-forms", response_model=PrechatFormOut)
async def save_prechat_form(body: PrechatFields, admin: Admin, runtime: Runtime, site_id: QueryKey) -> PrechatFormOut:
    """Admins: which fields the site's pre-chat form asks (a question asked needs its `question_label`)."""
    return await prechat.save_form(runtime, admin, site_id, body)


@router.get("/api/v1/conversations/{conversation_id}/contact", response_model=ContactCard)
async def contact_card(conversation_id: PathKey, operator: Operator, runtime: Runtime) -> ContactCard:
    """The customer card: the conversation's contact (null if the visitor is nobody known yet) and the contact's
    (or the visitor's) other conversations, newest first, each readable at `GET /api/v1/history/{id}`."""
    return await contacts.card(runtime, operator, conversation_id)


@router.get("/api/v1/conversations/{conversation_id}/notes", response_model=NoteList)
async def list_notes(conversation_id: PathKey, operator: Operator, runtime: Runtime) -> NoteList:
    """The conversation's internal notes, oldest first (operators only: never shown to the visitor)."""
    return NoteList(notes=await notes.list_notes(runtime, operator, conversation_id))


@router.post("/api/v1/conversations/{conversation_id}/notes", response_model=NoteOut, status_code=201)
async def add_note(
    conversation_id: PathKey, body: NoteIn, operator: Operator, runtime: Runtime, frames: Frames
) -> NoteOut:
    """An internal note: the conversation's staff get a `conversation.note` frame; the visitor never sees it.
    At most 200 notes a conversation (409 `too_many_notes`)."""
    return await notes.add_note(runtime, frames, operator, conversation_id, body.text)


@router.get("/api/v1/history", response_model=HistoryPage)
async def search_history(
    operator: Operator,
    runtime: Runtime,
    visitor: Words = None,
    operator_id: QueryKey | None = None,
    since: Moment = None,
    until: Moment = None,
    q: Words = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> HistoryPage:
    """Closed conversations, newest first: by visitor (name, email or phone), operator, start time (`since`
    inclusive, `until` exclusive) and text. Managers search the account; operators, the chats they took part in."""
    return await history.search(
        runtime,
        operator,
        visitor=visitor,
        operator_id=operator_id,
        since=since,
        until=until,
        text=q,
        offset=offset,
        limit=limit,
    )


@router.get("/api/v1/history/{conversation_id}", response_model=Transcript)
async def read_transcript(conversation_id: PathKey, operator: Operator, runtime: Runtime) -> Transcript:
    """A conversation's messages and notes, to read: for managers, operators who see it, and operators who see an
    open conversation of the same contact."""
    return await history.transcript(runtime, operator, conversation_id)


@internal.post("/identify", status_code=204)
async def visitor_identified(body: IdentifiedVisitor, visitor: Visitor, runtime: Runtime) -> Response:
    """The site identified its visitor (the gateway checked it): the visitor is that contact's."""
    await contacts.identified(runtime, visitor, body)
    return Response(status_code=204)
