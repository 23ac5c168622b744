"""Which queue a new chat enters: the one the visitor (their topic) chose, else the account's first by queue
priority (then name). An account without queues routes nothing: its chats wait for any operator."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.models import queues
from services.chat.queues import Unprocessable


async def queue_for(conn: AsyncConnection, account_id: str, chosen: str | None) -> str | None:
    if chosen is not None:
        query = select(queues.c.id).where(queues.c.account_id == account_id, queues.c.id == chosen)
        if await conn.scalar(query) is None:
            raise Unprocessable("queue_id", "no queue of this account has this id", "unknown_queue")
        return chosen
    first = (
        select(queues.c.id).where(queues.c.account_id == account_id).order_by(queues.c.priority, queues.c.name).limit(1)
    )
    queue_id: str | None = await conn.scalar(first)
    return queue_id
