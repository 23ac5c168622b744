"""The chat state of each visitor (shown in the live list), from chat's conversation events."""

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.events import ConversationAccepted, ConversationClosed, ConversationStarted, Event
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.tracking import repository
from services.tracking.live import LiveBoard
from services.tracking.models import processed_events

CHAT_EVENTS = [ConversationStarted.TYPE, ConversationAccepted.TYPE, ConversationClosed.TYPE]


async def _chat_state(conn: AsyncConnection, event: Event) -> None:
    if event.type == ConversationStarted.TYPE:
        started = ConversationStarted.model_validate(event.payload)
        await repository.chat_started(conn, started.visitor_id, started.conversation_id)
        return
    state = "active" if event.type == ConversationAccepted.TYPE else None
    await repository.set_chat_state(conn, event.payload["conversation_id"], state)


def chat_state_handler(runtime: ServiceRuntime, board: LiveBoard) -> EventHandler:
    async def handle(event: Event) -> None:
        if await handle_once(runtime.db, processed_events, event, _chat_state):
            async with runtime.db.reading() as conn:
                visitor_ids = await repository.visitors_in_conversation(conn, event.payload["conversation_id"])
            for visitor_id in visitor_ids:
                await board.refresh(visitor_id)

    return handle
