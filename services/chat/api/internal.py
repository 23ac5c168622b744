"""Chat's routes only the gateway reaches (declared `public=False` in its route table)."""

from fastapi import APIRouter, Response

from services.chat.api.routes import Frames
from services.chat.api.schemas import ConversationOut, StartInvited
from services.chat.invited import start_invited
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
