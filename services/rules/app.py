from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings
from services.rules.api.routes import router
from services.rules.consumers import CONSUMERS


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    return create_service_app("rules", settings or get_settings(), routers=[router], consumers=CONSUMERS, bus=bus)
