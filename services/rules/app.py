from fastapi import APIRouter, FastAPI

from services.common.bus import EventBus
from services.common.events import PageviewRecorded
from services.common.identity import Operator
from services.common.service import Consumer, Runtime, create_service_app
from services.common.settings import Settings, get_settings
from services.rules.visitor_stats import VisitorStats, on_pageview, stats_of

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])


@router.get("/visitor-stats/{visitor_id}", response_model=VisitorStats)
async def visitor_stats(visitor_id: str, operator: Operator, runtime: Runtime) -> VisitorStats:
    """Page views the rules have counted for a visitor (from `pageview.recorded` events)."""
    return await stats_of(runtime, operator, visitor_id)


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    consumers = [Consumer([PageviewRecorded.TYPE], on_pageview)]
    return create_service_app("rules", settings or get_settings(), routers=[router], consumers=consumers, bus=bus)
