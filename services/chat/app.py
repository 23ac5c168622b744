from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from services.chat.api.routes import router
from services.chat.consumers import CONSUMERS
from services.chat.models import outbox
from services.chat.realtime import PendingFrames
from services.common.bus import EventBus
from services.common.errors import error_response
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    frames = PendingFrames()
    app = create_service_app(
        "chat",
        settings or get_settings(),
        routers=[router],
        outbox=outbox,
        consumers=CONSUMERS,
        bus=bus,
        on_start=[frames.start],
        on_stop=[frames.stop],
    )
    app.state.frames = frames
    app.add_exception_handler(DBAPIError, _database_unavailable)
    return app


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database connection lost under a request (the server restarted, or ended it) is a 503 the client
    retries (a message is stored once whatever it retries); any other database failure stays a 500."""
    assert isinstance(exc, DBAPIError)
    if not exc.connection_invalidated:
        raise exc
    return error_response(503, "service_unavailable", "The conversation store is not reachable now; try again.")
