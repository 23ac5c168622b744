"""HTTP endpoints of the rules service (reached through the gateway under /api/v1/rules)."""

from fastapi import APIRouter

from services.common.identity import Operator
from services.common.service import Runtime
from services.common.validation import PathKey
from services.rules.api.schemas import VisitorStats
from services.rules.visitor_stats import stats_of

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])


@router.get("/visitor-stats/{visitor_id}", response_model=VisitorStats)
async def visitor_stats(visitor_id: PathKey, operator: Operator, runtime: Runtime) -> VisitorStats:
    """Page views the rules have counted for a visitor of the caller's account (from `pageview.recorded`)."""
    return await stats_of(runtime, operator, visitor_id)
