"""Tickets (OFF-1..3): the offline form and "email me instead" (visitors), the tickets screen (operators), replies
that come back by email (`/api/v1/inbound-email`, a mail provider's), and transcripts by email."""

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from services.chat.api.routes import Frames
from services.chat.api.ticket_schemas import (
    Accepted,
    ChatToTicketIn,
    OfflineMessageIn,
    ReplyIn,
    TicketCreated,
    TicketDetail,
    TicketList,
    TicketMessageOut,
    TicketOut,
    TicketState,
    TranscriptIn,
)
from services.chat.tickets import service as tickets
from services.chat.tickets.transcripts import send_transcript
from services.common.errors import Forbidden, NotFound
from services.common.identity import AnyCaller, Operator, Visitor
from services.common.service import Runtime
from services.common.validation import PathKey

router = APIRouter(tags=["tickets"])
INBOUND_SECRET_HEADER = "x-floorwalker-inbound-secret"


@router.post("/api/v1/tickets", response_model=TicketCreated, status_code=201)
async def create_ticket(body: OfflineMessageIn, visitor: Visitor, runtime: Runtime, frames: Frames) -> TicketCreated:
    """Visitors: the offline form (nobody available, or out of hours) becomes an open ticket."""
    return await tickets.create_offline(runtime, frames, visitor, body)


@router.post("/api/v1/conversations/{conversation_id}/ticket", response_model=TicketCreated, status_code=201)
async def chat_to_ticket(
    conversation_id: PathKey, body: ChatToTicketIn, visitor: Visitor, runtime: Runtime, frames: Frames
) -> TicketCreated:
    """Visitors who will not wait: the chat so far becomes a ticket answered by email; the conversation closes."""
    return await tickets.create_from_chat(runtime, frames, visitor, conversation_id, body)


@router.post("/api/v1/conversations/{conversation_id}/transcript", response_model=Accepted, status_code=202)
async def transcript(conversation_id: PathKey, body: TranscriptIn, caller: AnyCaller, runtime: Runtime) -> Accepted:
    """The conversation's visitor, or an operator who sees it: its messages by email (queued)."""
    return await send_transcript(runtime, caller, conversation_id, str(body.email))


@router.get("/api/v1/tickets", response_model=TicketList)
async def list_tickets(
    operator: Operator, runtime: Runtime, state: Annotated[TicketState, Query()] = "open"
) -> TicketList:
    """The account's tickets in one state, the most recently changed first."""
    return TicketList(tickets=await tickets.list_tickets(runtime, operator, state))


@router.get("/api/v1/tickets/{ticket_id}", response_model=TicketDetail)
async def get_ticket(ticket_id: PathKey, operator: Operator, runtime: Runtime) -> TicketDetail:
    """A ticket with its messages (each reply with whether its email went out)."""
    return await tickets.get_ticket(runtime, operator, ticket_id)


@router.post("/api/v1/tickets/{ticket_id}/replies", response_model=TicketMessageOut, status_code=201)
async def reply(
    ticket_id: PathKey, body: ReplyIn, operator: Operator, runtime: Runtime, frames: Frames
) -> TicketMessageOut:
    """An answer: stored, then emailed to the visitor (Reply-To: the ticket's own address)."""
    return await tickets.reply(runtime, frames, operator, ticket_id, body.text)


@router.post("/api/v1/tickets/{ticket_id}/close", response_model=TicketOut)
async def close_ticket(ticket_id: PathKey, operator: Operator, runtime: Runtime, frames: Frames) -> TicketOut:
    return await tickets.close_ticket(runtime, frames, operator, ticket_id)


@router.post(
    "/api/v1/inbound-email",
    response_model=TicketMessageOut,
    status_code=201,
    # Documented as text/plain (what clients and schema tools know how to send); message/rfc822 is taken too.
    openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def inbound_email(
    request: Request,
    runtime: Runtime,
    frames: Frames,
    secret: Annotated[str | None, Header(alias=INBOUND_SECRET_HEADER)] = None,
) -> TicketMessageOut:
    """Mail providers: a reply by email, the raw RFC 822 message as the body, with the shared secret in
    `X-Floorwalker-Inbound-Secret`. It lands on the ticket its address names; 422 for anything else."""
    expected = runtime.settings.inbound_email_secret
    if not expected:
        raise NotFound("Inbound email is not enabled.", code="inbound_email_disabled")
    if not secret or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise Forbidden("The inbound email secret is wrong.", code="bad_inbound_secret")
    return await tickets.receive_email(runtime, frames, await request.body())
