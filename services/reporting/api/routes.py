"""HTTP endpoints of the reporting service (reached through the gateway under /api/v1/reports)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.common.identity import Operator
from services.common.service import Runtime
from services.reporting.api.schemas import Summary
from services.reporting.daily import summary

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/summary", response_model=Summary)
async def report_summary(
    operator: Operator,
    runtime: Runtime,
    start: Annotated[date | None, Query(alias="from", description="First day (UTC), YYYY-MM-DD.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day (UTC), YYYY-MM-DD; default today.")] = None,
) -> Summary:
    """Conversations, messages, page views and waiting time of the caller's account per day, with totals.

    Defaults to the last 30 days; at most 366 days. `from` after `to` is refused (400 `invalid_range`).
    """
    return await summary(runtime, operator, start, end)
