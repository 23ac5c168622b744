from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings
from services.tracking.api.routes import internal, router
from services.tracking.models import outbox
from services.tracking.tracker import Tracking


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    tracking = Tracking()
    app = create_service_app(
        "tracking",
        settings or get_settings(),
        routers=[router, internal],
        outbox=outbox,
        bus=bus,
        on_start=[tracking.start],
        on_stop=[tracking.stop],
    )
    app.state.tracking = tracking
    return app
