from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings
from services.tracking.api.routes import router
from services.tracking.live import start_sweeper, stop_sweeper
from services.tracking.models import outbox


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(
        "tracking",
        settings or get_settings(),
        routers=[router],
        outbox=outbox,
        bus=bus,
        on_start=[start_sweeper],
        on_stop=[stop_sweeper],
    )
