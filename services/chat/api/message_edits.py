"""Endpoints to edit and retract a message and read its versions (CHAT-5, `message_edits.py`)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.chat import message_edits
from services.chat.api.routes import Frames
from services.chat.api.schemas import MessageOut, Strict
from services.common.identity import Operator, RoleRequired
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
Manager = Annotated[Identity, Depends(RoleRequired("supervisor", "admin"))]
PATH = "/{conversation_id}/messages/{message_id}"


class EditMessage(Strict):
    text: str = Field(min_length=1, description="The message's new text (its size limit as when posted).")


class MessageVersion(BaseModel):
    revision: int
    action: Literal["created", "edited", "retracted"]
    text: str = Field(description="The text of this version (empty for the retraction).")
    by_type: str
    by_id: str | None
    by_name: str | None
    at: datetime


class MessageHistory(BaseModel):
    message: MessageOut
    versions: list[MessageVersion] = Field(description="Oldest first: as written, then each edit and the retraction.")


@router.patch(PATH, response_model=MessageOut)
async def edit_message(
    conversation_id: PathKey,
    message_id: PathKey,
    body: EditMessage,
    operator: Operator,
    runtime: Runtime,
    frames: Frames,
) -> MessageOut:
    """Edit an operator's message (its author, or a supervisor or admin), read or not: everyone in the conversation
    gets `message.updated` at once. Not an operator's message, or someone else's: 403; retracted: 409."""
    return await message_edits.edit(runtime, frames, operator, conversation_id, message_id, body.text)


@router.delete(PATH, response_model=MessageOut)
async def retract_message(
    conversation_id: PathKey, message_id: PathKey, operator: Operator, runtime: Runtime, frames: Frames
) -> MessageOut:
    """Retract (delete) an operator's message: its text is gone for everyone (visitors see "message deleted");
    managers keep its versions. Retracting it again changes nothing."""
    return await message_edits.retract(runtime, frames, operator, conversation_id, message_id)


@router.get(PATH + "/history", response_model=MessageHistory)
async def message_history(
    conversation_id: PathKey, message_id: PathKey, manager: Manager, runtime: Runtime
) -> MessageHistory:
    """Supervisors and admins: every version of a message with who made it and when."""
    message, versions = await message_edits.history(runtime, manager, conversation_id, message_id)
    return MessageHistory(message=message, versions=[MessageVersion.model_validate(v.__dict__) for v in versions])
