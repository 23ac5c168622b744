"""HTTP endpoints of the reporting service (reached through the gateway under /api/v1/reports)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.common.identity import Operator
from services.common.service import Runtime
from services.common.validation import KEY_PATTERN
from services.reporting.api.schemas import Summary
from services.reporting.daily import summary

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # a report's days (outside: 422)
YEARS: dict[str, Any] = {"pattern": r"^2[0-9]{3}-[0-9]{2}-[0-9]{2}$"}  # the same bounds, for the OpenAPI document


@router.get("/summary", response_model=Summary)
async def report_summary(
    operator: Operator,
    runtime: Runtime,
    start: Annotated[
        date | None,
        Query(alias="from", ge=FIRST_DAY, le=LAST_DAY, json_schema_extra=YEARS, description="First day (UTC)."),
    ] = None,
    end: Annotated[
        date | None,
        Query(alias="to", ge=FIRST_DAY, le=LAST_DAY, json_schema_extra=YEARS, description="Last day; default today."),
    ] = None,
    segment: Annotated[
        str | None,
        Query(
            pattern=KEY_PATTERN,
            description="Only what was counted in this customer segment of the account (a segment id; "
            "404 `segment_not_found` if the reports never heard of it in the account).",
        ),
    ] = None,
) -> Summary:
    """Conversations, messages, page views and waiting time of the caller's account per day, with totals.

    Defaults to the last 30 days; at most 366 days, from 2000-01-01 to 2999-12-31. `from` after `to` is
    refused (400 `invalid_range`). With `segment`, the same counters for the visitors in that segment: a page
    view in its visitor's segment then, a conversation's events in its visitor's segment when it started.
    """
    return await summary(runtime, operator, start, end, segment)
