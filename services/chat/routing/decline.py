"""An operator declines the chat offered to them (ROUTE-4): it goes to the next operator at once.

Under the account's routing lock: only the operator it is offered to may decline it (409 otherwise: it is not
offered to them, or no longer waiting); the offer is taken back, the operator joins its `declined_by` (never
offered it again; it waits for the others, a supervisor, or its failover), and routing offers it in the same
transaction. The answer is the conversation after that routing (maybe offered to someone else already).
"""

from sqlalchemy import select, update

from services.chat import realtime
from services.chat.api.schemas import ConversationOut
from services.chat.models import conversations
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import lock_account
from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


async def decline(
    runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, conversation_id: str
) -> ConversationOut:
    user_id = operator.user_id or ""
    staged: list[Frame] = []
    async with runtime.db.transaction() as conn:
        default_max = await lock_account(conn, operator.account_id)
        owned = (conversations.c.account_id == operator.account_id) & (conversations.c.id == conversation_id)
        row = (await conn.execute(select(conversations).where(owned))).mappings().first()
        if row is None:
            raise NotFound("No such conversation.", code="conversation_not_found")
        if row["state"] != "waiting":
            raise Conflict(f"The conversation is {row['state']}, not waiting.", code="conversation_not_waiting")
        if row["offered_user_id"] != user_id:
            raise Conflict("This conversation is not offered to you.", code="not_offered_to_you")
        declined = [*(row["declined_by"] or []), user_id]
        change = update(conversations).where(owned, conversations.c.offered_user_id == user_id)
        changed = (
            (await conn.execute(change.values(**offers.NO_OFFER, declined_by=declined).returning(conversations)))
            .mappings()
            .one()
        )
        conversation = ConversationOut.model_validate(dict(changed))
        body = {"type": "conversation.updated", "conversation": conversation.model_dump(mode="json")}
        frame = realtime.stage(operator.account_id, None, body)
        await realtime.add(conn, frame)
        staged = [frame, *await offers.route(conn, runtime, operator.account_id, utcnow(), default_max)]
        after = (await conn.execute(select(conversations).where(owned))).mappings().one()
    await offers.publish(runtime, frames, staged)
    return ConversationOut.model_validate(dict(after))
