"""HTTP endpoints of the tracking service (reached through the gateway)."""

from fastapi import APIRouter

from services.common.identity import Operator, Visitor
from services.common.service import Runtime
from services.tracking import live, pageviews
from services.tracking.api.schemas import Accepted, LiveVisitors, TrackBatch, VisitorDetail

router = APIRouter(prefix="/api/v1", tags=["tracking"])


@router.post("/track/events", response_model=Accepted, status_code=202)
async def track_events(body: TrackBatch, visitor: Visitor, runtime: Runtime) -> Accepted:
    """Record a batch of the visitor's page views (1 to 50); all are stored or none."""
    await pageviews.record(runtime, visitor, body.events)
    return Accepted(accepted=len(body.events))


@router.get("/visitors/live", response_model=LiveVisitors)
async def live_visitors(operator: Operator, runtime: Runtime) -> LiveVisitors:
    """Visitors on the account's sites now, most recently active first."""
    return LiveVisitors(visitors=await live.live_visitors(runtime, operator))


@router.get("/visitors/{visitor_id}", response_model=VisitorDetail)
async def visitor_detail(visitor_id: str, operator: Operator, runtime: Runtime) -> VisitorDetail:
    """One visitor with the pages of the current visit, in order."""
    return await live.visitor_detail(runtime, operator, visitor_id)
