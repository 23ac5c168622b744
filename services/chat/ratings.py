"""Post-chat rating (EMB-10): the visitor of a closed conversation rates it once (a score of 1..5 faces and an
optional comment) within `RATING_WINDOW` of its close. The rating is stored with the conversation (one row,
keyed by it: a second rating is 409 `already_rated` whatever races), announced to the conversation's staff as
a `conversation.rated` frame (the console shows it on the conversation) and to reporting as the
`conversation.rated` event (in the outbox, same transaction)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import repository as repo
from services.chat.models import conversation_ratings, outbox
from services.chat.realtime import Frame, PendingFrames
from services.common.db import utcnow
from services.common.errors import Conflict
from services.common.events import ConversationRated
from services.common.outbox import add_event
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MIN_SCORE, MAX_SCORE = 1, 5
MAX_COMMENT_CHARS = 1000
RATING_WINDOW = timedelta(days=7)  # after its close, a conversation may be rated this long
r = conversation_ratings.c


@dataclass(frozen=True)
class Rating:
    conversation_id: str
    score: int
    comment: str | None
    created_at: datetime


def _rating(row: RowMapping) -> Rating:
    return Rating(row["conversation_id"], row["score"], row["comment"], row["created_at"])


async def _stored(conn: AsyncConnection, conversation_id: str) -> Rating | None:
    row = (
        (await conn.execute(select(conversation_ratings).where(r.conversation_id == conversation_id)))
        .mappings()
        .first()
    )
    return _rating(row) if row is not None else None


def _check_rateable(conversation: dict[str, object], now: datetime) -> None:
    closed_at = conversation["closed_at"]
    if conversation["state"] != "closed" or not isinstance(closed_at, datetime):
        raise Conflict("A conversation is rated once it has ended.", code="conversation_open")
    if now - closed_at > RATING_WINDOW:
        raise Conflict("This conversation ended too long ago to be rated.", code="rating_window_over")


async def rate(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    visitor: Identity,
    conversation_id: str,
    score: int,
    comment: str | None,
) -> Rating:
    """The conversation's visitor rates it (others: 404). Score and comment are validated by the endpoint's schema."""
    assert visitor.visitor_id is not None
    now = utcnow()
    text = (comment or "").strip() or None
    staged: list[Frame] = []
    try:
        async with runtime.db.transaction() as conn:
            row = await repo.conversation(conn, visitor.account_id, conversation_id)
            conversation = await audience.check_visible(conn, visitor, row)
            _check_rateable(dict(conversation), now)
            if await _stored(conn, conversation_id) is not None:
                raise Conflict("This conversation was rated already.", code="already_rated")
            values = {
                "conversation_id": conversation_id,
                "account_id": visitor.account_id,
                "visitor_id": visitor.visitor_id,
                "score": score,
                "comment": text,
                "created_at": now,
            }
            await conn.execute(insert(conversation_ratings).values(**values))
            event = ConversationRated(
                conversation_id=conversation_id,
                visitor_id=visitor.visitor_id,
                score=score,
                has_comment=text is not None,
                rated_at=now,
            )
            await add_event(conn, outbox, event, visitor.account_id)
            rating = Rating(conversation_id, score, text, now)
            body = {"type": "conversation.rated", "conversation_id": conversation_id, "rating": as_json(rating)}
            staged = await audience.stage(conn, conversation, body, visitors=False)
    except IntegrityError as error:  # a concurrent rating of the same conversation won
        raise Conflict("This conversation was rated already.", code="already_rated") from error
    runtime.after_commit()
    for frame in staged:
        await frames.publish(frame)
    return rating


async def rating_of(runtime: ServiceRuntime, caller: Identity, conversation_id: str) -> Rating | None:
    """The conversation's rating (None: not rated) for whoever may see the conversation (others: 404)."""
    async with runtime.db.reading() as conn:
        await audience.check_visible(conn, caller, await repo.conversation(conn, caller.account_id, conversation_id))
        return await _stored(conn, conversation_id)


def as_json(rating: Rating) -> dict[str, object]:
    return {
        "conversation_id": rating.conversation_id,
        "score": rating.score,
        "comment": rating.comment,
        "created_at": rating.created_at.isoformat(),
    }
