from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query

from services.common.bus import EventBus
from services.common.identity import Operator
from services.common.service import Consumer, Runtime, create_service_app
from services.common.settings import Settings, get_settings
from services.reporting.daily import CONSUMED, on_event, summary

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/summary")
async def report_summary(
    operator: Operator,
    runtime: Runtime,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Conversations, messages, page views and waiting time per day (default: the last 30 days)."""
    result = await summary(runtime, operator, start, end)
    body = result.model_dump(mode="json")
    body["from"] = body.pop("from_")
    return body


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    consumers = [Consumer(CONSUMED, on_event)]
    return create_service_app("reporting", settings or get_settings(), routers=[router], consumers=consumers, bus=bus)
