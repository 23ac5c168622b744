from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings
from services.rules.api.routes import router
from services.rules.api.segments import router as segments_router
from services.rules.consumers import consumers
from services.rules.live import LiveRules
from services.rules.models import outbox


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    live = LiveRules()  # the rules in real time (`live.py`): fed by the consumers, timers run while the app does
    app = create_service_app(
        "rules",
        settings or get_settings(),
        routers=[router, segments_router],
        outbox=outbox,  # `visitor.segment_changed` (segments/live.py)
        consumers=consumers(live),
        bus=bus,
        on_start=[live.start],
        on_stop=[live.stop],
    )
    app.state.live_rules = live
    return app
