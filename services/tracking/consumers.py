"""Events tracking consumes: the chat state of each visitor, shown in the live list."""

from collections.abc import Callable, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler, EventHandler
from services.common.events import ConversationAccepted, ConversationClosed, ConversationStarted, Event
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.tracking.ingest import IngestWriter
from services.tracking.live import LiveBoard
from services.tracking.models import processed_events, visitors

CHAT_EVENTS = [ConversationStarted.TYPE, ConversationAccepted.TYPE, ConversationClosed.TYPE]


async def _chat_state(session: AsyncConnection, event: Event) -> None:
    if event.type == ConversationStarted.TYPE:
        started = ConversationStarted.model_validate(event.payload)
        await session.execute(
            update(visitors)
            .where(visitors.c.id == started.visitor_id)
            .values(chat_state="waiting", chat_conversation_id=started.conversation_id)
        )
        return
    conversation_id = event.payload["conversation_id"]
    state = "active" if event.type == ConversationAccepted.TYPE else None
    await session.execute(
        update(visitors).where(visitors.c.chat_conversation_id == conversation_id).values(chat_state=state)
    )


def chat_state_handler(board_of: Callable[[ServiceRuntime], LiveBoard]) -> Callable[[ServiceRuntime], EventHandler]:
    def make(runtime: ServiceRuntime) -> EventHandler:
        async def handle(event: Event) -> None:
            if await handle_once(runtime.db, processed_events, event, _chat_state):
                await _refresh(runtime, board_of(runtime), event)

        return handle

    return make


async def _refresh(runtime: ServiceRuntime, board: LiveBoard, event: Event) -> None:
    conversation_id = event.payload["conversation_id"]
    async with runtime.db.reading() as session:
        ids = await session.scalars(select(visitors.c.id).where(visitors.c.chat_conversation_id == conversation_id))
        visitor_ids = list(ids)
    for visitor_id in visitor_ids:
        await board.refresh(visitor_id)


class StoreAcceptedBatches(BatchEventHandler):
    """`track.batch`: the visitors' events the gateway accepted, written in batches."""

    def __init__(self, runtime: ServiceRuntime, writer_of: Callable[[ServiceRuntime], IngestWriter]) -> None:
        self.runtime = runtime
        self.writer_of = writer_of

    async def handle_batch(self, events: Sequence[Event]) -> None:
        await self.writer_of(self.runtime).store_accepted(events)
