from fastapi import FastAPI

from services.chat.api import queues as queue_api
from services.chat.api.internal import internal
from services.chat.api.routes import router
from services.chat.consumers import CONSUMERS
from services.chat.models import outbox
from services.chat.presence import PresenceSweeper
from services.chat.realtime import PendingFrames
from services.chat.routing.offers import RoutingSweeper
from services.common.bus import EventBus
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    """Chat's app. A database unavailable under a request (connection lost, SQLite locked, PostgreSQL ending
    the session) is a 503 the client retries, as in every service (`failures`): a message is stored once
    whatever it retries."""
    frames = PendingFrames()
    sweeper = PresenceSweeper(frames)
    routing = RoutingSweeper(frames)
    app = create_service_app(
        "chat",
        settings or get_settings(),
        routers=[router, internal, queue_api.router, queue_api.internal],
        outbox=outbox,
        consumers=CONSUMERS,
        bus=bus,
        on_start=[frames.start, sweeper.start, routing.start],
        on_stop=[routing.stop, sweeper.stop, frames.stop],
    )
    app.state.frames = frames
    return app
