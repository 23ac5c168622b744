"""A rule's queue for a chat the visitor started by themselves (`conversation.route_requested`, from the rules
service; ENG-4 `route_to_queue`): the conversation moves to that queue, if it is one of the event's account, and is
offered there, while it still waits for someone and is not there yet. Applied once per event (chat's processed
events), under the account's routing lock like every other routing change; an offer made meanwhile in the old queue
is taken back (the frames say so)."""

import logging
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.models import conversations, processed, queues
from services.chat.realtime import Frame, PendingFrames
from services.chat.routing import offers
from services.chat.routing.capacity import lock_account
from services.common.bus import BatchEventHandler
from services.common.db import utcnow
from services.common.events import ConversationRouteRequested, Event
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime

log = logging.getLogger("floorwalker.chat.routing")


async def move_to_queue(
    conn: AsyncConnection, runtime: ServiceRuntime, account_id: str, request: ConversationRouteRequested
) -> list[Frame]:
    """Move the waiting, unassigned conversation to the requested queue of its account (the caller's
    transaction); the frames to publish after the commit (none when nothing moved)."""
    known = select(queues.c.id).where(queues.c.account_id == account_id, queues.c.id == request.queue_id)
    if await conn.scalar(known) is None:
        return []  # deleted since, or not the account's
    now = utcnow()
    default_max = await lock_account(conn, account_id)
    change = (
        update(conversations)
        .where(
            conversations.c.id == request.conversation_id,
            conversations.c.account_id == account_id,
            conversations.c.state == "waiting",
            conversations.c.assigned_user_id.is_(None),
            conversations.c.queue_id.is_distinct_from(request.queue_id),
        )
        .values(**offers.NO_OFFER, queue_id=request.queue_id, queued_at=now, passed_over=None)
        .returning(conversations)
    )
    moved = (await conn.execute(change)).mappings().first()
    if moved is None:
        return []
    log.info("conversation %s moved to queue %s by rule %s", request.conversation_id, request.queue_id, request.rule_id)
    return [await offers._updated(conn, moved), *await offers.route(conn, runtime, account_id, now, default_max)]


class RouteToRuleQueue(BatchEventHandler):
    def __init__(self, runtime: ServiceRuntime, frames: PendingFrames) -> None:
        self.runtime = runtime
        self.frames = frames

    async def handle_batch(self, events: Sequence[Event]) -> None:
        for event in events:
            try:
                request = ConversationRouteRequested.model_validate(event.payload)
            except ValidationError:
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
                continue
            await self._handle(event, request)

    async def _handle(self, event: Event, request: ConversationRouteRequested) -> None:
        staged: list[Frame] = []

        async def effect(conn: AsyncConnection, _: Event) -> None:
            staged[:] = await move_to_queue(conn, self.runtime, event.account_id, request)

        if await handle_once(self.runtime.db, processed, event, effect):
            await offers.publish(self.runtime, self.frames, staged)
