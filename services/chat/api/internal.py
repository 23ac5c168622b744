"""Chat's routes only the gateway reaches (declared `public=False` in its route table)."""

from fastapi import APIRouter, Response

from services.chat.api.queue_schemas import VisitorsSeen
from services.chat.api.routes import Frames
from services.chat.api.schemas import ConversationOut, StartInvited
from services.chat.invited import start_invited
from services.chat.routing.visitors import seen
from services.common.db import utcnow
from services.common.identity import Visitor
from services.common.service import Runtime

internal = APIRouter(prefix="/internal/v1/conversations", include_in_schema=False)


@internal.post("/invited", response_model=ConversationOut, status_code=201)
async def start_invited_conversation(
    body: StartInvited, visitor: Visitor, runtime: Runtime, frames: Frames, response: Response
) -> ConversationOut:
    """The visitor accepted an invitation (the gateway checked it was theirs): the conversation it starts, or
    their open one (200)."""
    conversation, created = await start_invited(runtime, frames, visitor, body)
    if not created:
        response.status_code = 200
    return conversation


@internal.post("/visitors-seen", status_code=204)
async def visitors_seen(body: VisitorsSeen, visitor: Visitor, runtime: Runtime, frames: Frames) -> Response:
    """A gateway holds sockets of these visitors of the caller's account (the caller: one of them): their waiting
    chats' visitor is there (`routing/visitors.py`)."""
    await seen(runtime, frames, visitor.account_id, body.visitor_ids, utcnow())
    return Response(status_code=204)
