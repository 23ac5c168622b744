from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.service import Consumer, create_service_app
from services.common.settings import Settings, get_settings
from services.common.track_events import TrackBatchReceived
from services.tracking.api.routes import internal, router
from services.tracking.consumers import CHAT_EVENTS, StoreAcceptedBatches, chat_state_handler
from services.tracking.models import outbox
from services.tracking.tracker import board_of, start_tracker, stop_tracker, writer_of


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(
        "tracking",
        settings or get_settings(),
        routers=[router, internal],
        outbox=outbox,
        consumers=[
            Consumer(CHAT_EVENTS, chat_state_handler(board_of)),
            Consumer([TrackBatchReceived.TYPE], lambda runtime: StoreAcceptedBatches(runtime, writer_of)),
        ],
        bus=bus,
        on_start=[start_tracker],
        on_stop=[stop_tracker],
    )
