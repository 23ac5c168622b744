"""Endpoints of the post-chat rating (EMB-10, `ratings.py`): the visitor rates, whoever sees the conversation reads."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.chat import ratings
from services.chat.api.routes import Frames
from services.chat.api.schemas import Strict
from services.common.identity import AnyCaller, Visitor
from services.common.service import Runtime
from services.common.validation import PathKey

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
PATH = "/{conversation_id}/rating"


class RateConversation(Strict):
    score: int = Field(ge=ratings.MIN_SCORE, le=ratings.MAX_SCORE, description="1 (very bad) .. 5 (very good).")
    comment: str | None = Field(default=None, max_length=ratings.MAX_COMMENT_CHARS)


class RatingOut(BaseModel):
    conversation_id: str
    score: int
    comment: str | None
    created_at: datetime


class ConversationRating(BaseModel):
    rating: RatingOut | None = Field(description="Null while the conversation is not rated.")


def _out(rating: ratings.Rating) -> RatingOut:
    return RatingOut.model_validate(rating.__dict__)


@router.post(PATH, response_model=RatingOut, status_code=201)
async def rate_conversation(
    conversation_id: PathKey, body: RateConversation, visitor: Visitor, runtime: Runtime, frames: Frames
) -> RatingOut:
    """The conversation's visitor rates it once, after it closed and within 7 days: again is 409 `already_rated`,
    still open is 409 `conversation_open`, someone else's conversation is 404."""
    rating = await ratings.rate(runtime, frames, visitor, conversation_id, body.score, body.comment)
    return _out(rating)


@router.get(PATH, response_model=ConversationRating)
async def conversation_rating(conversation_id: PathKey, caller: AnyCaller, runtime: Runtime) -> ConversationRating:
    """The conversation's rating, for its visitor and the staff who see the conversation."""
    rating = await ratings.rating_of(runtime, caller, conversation_id)
    return ConversationRating(rating=_out(rating) if rating else None)
