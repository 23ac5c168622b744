"""Chat's routes for typing signals and read marks (EMB-8, CHAT-4). The internal ones are reached by the gateway's
sockets only (declared `public=False`): the `typing` and `read` socket frames, and the marks sent again on a resume.
The public one lets a console or widget that loads a conversation's history over REST read its marks with it."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.chat import read_marks, typing_signals
from services.chat.api.routes import Frames
from services.chat.api.schemas import Strict
from services.chat.read_marks import ReadMarks
from services.common.identity import AnyCaller
from services.common.service import Runtime
from services.common.validation import MAX_INT, PathKey

internal = APIRouter(prefix="/internal/v1/conversations", include_in_schema=False)
router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


class TypingIn(Strict):
    typing: bool = True  # false: stopped (the input was emptied)
    draft: str | None = Field(default=None, max_length=typing_signals.MAX_DRAFT)


class TypingAudience(BaseModel):
    """To whom the signal went: the gateway sends the sender's next ones there itself, for about a second."""

    channels: list[str]
    frame: dict[str, Any]  # the `conversation.typing` frame without `typing` and `draft`


class ReadIn(Strict):
    seq: int = Field(ge=0, le=MAX_INT)


@internal.post("/{conversation_id}/typing", response_model=TypingAudience)
async def typing_signal(
    conversation_id: PathKey, body: TypingIn, caller: AnyCaller, runtime: Runtime, frames: Frames
) -> TypingAudience:
    """The caller is typing (a visitor: maybe with their draft): told to the other side, stored nowhere; the answer
    says to whom."""
    channels, frame = await typing_signals.relay(runtime, frames, caller, conversation_id, body.typing, body.draft)
    return TypingAudience(channels=list(channels), frame=frame)


@internal.post("/{conversation_id}/read", response_model=ReadMarks)
async def mark_read(
    conversation_id: PathKey, body: ReadIn, caller: AnyCaller, runtime: Runtime, frames: Frames
) -> ReadMarks:
    """The caller has seen the messages up to `seq`: their mark moves there (never back)."""
    return await read_marks.mark(runtime, frames, caller, conversation_id, body.seq)


@internal.get("/{conversation_id}/read", response_model=ReadMarks)
async def get_read_marks(conversation_id: PathKey, caller: AnyCaller, runtime: Runtime) -> ReadMarks:
    """How far each reader of the conversation has read."""
    return await read_marks.marks_of(runtime, caller, conversation_id)


@router.get("/{conversation_id}/read-marks", response_model=ReadMarks)
async def read_marks_of_conversation(conversation_id: PathKey, caller: AnyCaller, runtime: Runtime) -> ReadMarks:
    """How far the visitor and each operator in the conversation have read (EMB-8): the seq of the last message
    each one saw. For who may see the conversation; 404 for anyone else."""
    return await read_marks.marks_of(runtime, caller, conversation_id)
