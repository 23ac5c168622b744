"""HTTP endpoints of the tracking service (reached through the gateway)."""

from typing import Any

from fastapi import APIRouter, Request, Response

from services.common.errors import Forbidden
from services.common.identity import Operator, Visitor
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.track_events import read_batch, read_body
from services.tracking import visitors
from services.tracking.api.schemas import (
    Accepted,
    IdentifyOut,
    IdentifyRequest,
    LiveVisitors,
    TrackBatch,
    TrackingSettings,
    VisitorDetail,
)
from services.tracking.tracker import tracker_of

router = APIRouter(prefix="/api/v1", tags=["tracking"])
internal = APIRouter(prefix="/internal/v1", include_in_schema=False)


def _admin(operator: Identity) -> Identity:
    if operator.role != "admin":
        raise Forbidden("Only admins may do this.", code="admins_only")
    return operator


@router.post(
    "/track/events",
    response_model=Accepted,
    status_code=202,
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": TrackBatch.model_json_schema()}}}},
)
async def track_events(request: Request, visitor: Visitor, runtime: Runtime) -> Accepted:
    """Record a batch of the visitor's events (1 to 100); the answer lists any refused one."""
    batch = read_batch(await read_body(request))
    tracker = tracker_of(runtime)
    rejected = await tracker.writer.submit(visitor, request.headers.get("user-agent"), batch.events)
    return Accepted(accepted=len(batch.events) - len(rejected), rejected=rejected)


@router.get("/visitors/live", response_model=LiveVisitors)
async def live_visitors(operator: Operator, runtime: Runtime, site_id: str | None = None) -> LiveVisitors:
    """Visitors on the account's sites now (robots left out), most recently active first."""
    tracker = tracker_of(runtime)
    records = await tracker.board.live_visitors(operator, site_id)
    return LiveVisitors.model_validate({"visitors": records, "geo": tracker.enricher.about()})


@router.get("/visitors/{visitor_id}", response_model=VisitorDetail)
async def visitor_detail(visitor_id: str, operator: Operator, runtime: Runtime) -> VisitorDetail:
    """One visitor: where they are now, their visits with paths, products and searches."""
    return await visitors.visitor_detail(runtime, operator, visitor_id)


@router.get("/visitors/{visitor_id}/export")
async def export_visitor(visitor_id: str, operator: Operator, runtime: Runtime) -> dict[str, Any]:
    """Everything tracking stores about one visitor (data protection requests)."""
    return await visitors.export_visitor(runtime, _admin(operator), visitor_id)


@router.delete("/visitors/{visitor_id}", status_code=204)
async def delete_visitor(visitor_id: str, operator: Operator, runtime: Runtime) -> Response:
    """Delete everything tracking stores about one visitor."""
    await visitors.delete_visitor(runtime, tracker_of(runtime).board, _admin(operator), visitor_id)
    return Response(status_code=204)


@router.get("/contacts/{contact_id}/export")
async def export_contact(contact_id: str, operator: Operator, runtime: Runtime) -> dict[str, Any]:
    return await visitors.export_contact(runtime, _admin(operator), contact_id)


@router.delete("/contacts/{contact_id}", status_code=204)
async def delete_contact(contact_id: str, operator: Operator, runtime: Runtime) -> Response:
    await visitors.delete_contact(runtime, tracker_of(runtime).board, _admin(operator), contact_id)
    return Response(status_code=204)


@router.get("/track/settings/{site_id}", response_model=TrackingSettings)
async def read_settings(site_id: str, operator: Operator, runtime: Runtime) -> TrackingSettings:
    """A site's sections, product and search URL patterns and retention."""
    return await tracker_of(runtime).configs.read(operator, site_id)


@router.put("/track/settings/{site_id}", response_model=TrackingSettings)
async def write_settings(
    site_id: str, body: TrackingSettings, operator: Operator, runtime: Runtime
) -> TrackingSettings:
    return await tracker_of(runtime).configs.write(_admin(operator), site_id, body)


@internal.post("/track/identify", response_model=IdentifyOut)
async def identify(body: IdentifyRequest, visitor: Visitor, runtime: Runtime) -> IdentifyOut:
    """Called by the gateway once it checked the site's signature; never reachable from outside."""
    return await visitors.identify(runtime, tracker_of(runtime).board, visitor, body)
