from fastapi import FastAPI

from services.chat.api.routes import router
from services.chat.consumers import CONSUMERS
from services.chat.models import outbox
from services.common.bus import EventBus
from services.common.service import create_service_app
from services.common.settings import Settings, get_settings


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    return create_service_app(
        "chat", settings or get_settings(), routers=[router], outbox=outbox, consumers=CONSUMERS, bus=bus
    )
