"""HTTP endpoints of the tracking service (reached through the gateway).

Page views come in as `track.batch` events (the gateway's `POST /api/v1/track/events`), not through here.
"""

from typing import Any

from fastapi import APIRouter, Response

from services.common.identity import Admin, Operator, Visitor
from services.common.validation import PathKey, QueryKey
from services.tracking import visitors
from services.tracking.api.schemas import (
    IdentifyOut,
    IdentifyRequest,
    LiveVisitors,
    SiteSections,
    TrackingSettings,
    VisitorDetail,
)
from services.tracking.tracker import TrackerDep

router = APIRouter(prefix="/api/v1", tags=["tracking"])
internal = APIRouter(prefix="/internal/v1", include_in_schema=False)


@router.get("/visitors/live", response_model=LiveVisitors)
async def live_visitors(operator: Operator, tracker: TrackerDep, site_id: QueryKey | None = None) -> LiveVisitors:
    """Visitors on the account's sites now (robots left out), most recently active first; `site_id`: one site's."""
    records = await tracker.board.live_visitors(operator, site_id)
    return LiveVisitors.model_validate({"visitors": records, "geo": tracker.enricher.about()})


@router.get("/visitors/{visitor_id}", response_model=VisitorDetail)
async def visitor_detail(visitor_id: PathKey, operator: Operator, tracker: TrackerDep) -> VisitorDetail:
    """One visitor: where they are now, their visits with paths, products and searches."""
    return await visitors.visitor_detail(tracker.runtime, operator, visitor_id)


@router.get("/visitors/{visitor_id}/export")
async def export_visitor(visitor_id: PathKey, admin: Admin, tracker: TrackerDep) -> dict[str, Any]:
    """Everything tracking stores about one visitor (data protection requests)."""
    return await visitors.export_visitor(tracker.runtime, admin, visitor_id)


@router.delete("/visitors/{visitor_id}", status_code=204)
async def delete_visitor(visitor_id: PathKey, admin: Admin, tracker: TrackerDep) -> Response:
    """Delete everything tracking stores about one visitor."""
    await visitors.delete_visitor(tracker.runtime, tracker.board, admin, visitor_id)
    return Response(status_code=204)


@router.get("/contacts/{contact_id}/export")
async def export_contact(contact_id: PathKey, admin: Admin, tracker: TrackerDep) -> dict[str, Any]:
    return await visitors.export_contact(tracker.runtime, admin, contact_id)


@router.delete("/contacts/{contact_id}", status_code=204)
async def delete_contact(contact_id: PathKey, admin: Admin, tracker: TrackerDep) -> Response:
    await visitors.delete_contact(tracker.runtime, tracker.board, admin, contact_id)
    return Response(status_code=204)


@router.get("/track/settings/{site_id}", response_model=TrackingSettings)
async def read_settings(site_id: PathKey, operator: Operator, tracker: TrackerDep) -> TrackingSettings:
    """A site's sections, product and search URL patterns and retention (404 unless a site of the account)."""
    return await tracker.configs.read(operator, site_id)


@router.put("/track/settings/{site_id}", response_model=TrackingSettings)
async def write_settings(
    site_id: PathKey, body: TrackingSettings, admin: Admin, tracker: TrackerDep
) -> TrackingSettings:
    return await tracker.configs.write(admin, site_id, body)


@internal.get("/track/sections", response_model=SiteSections)
async def site_sections(visitor: Visitor, tracker: TrackerDep) -> SiteSections:
    """The visitor's site's sections (name and URL pattern): the gateway's widget session (passive mode)."""
    async with tracker.runtime.db.reading() as conn:
        patterns = await tracker.configs.patterns(conn, visitor.site_id or "")
    return SiteSections(sections=patterns.settings.sections)


@internal.post("/track/identify", response_model=IdentifyOut)
async def identify(body: IdentifyRequest, visitor: Visitor, tracker: TrackerDep) -> IdentifyOut:
    """Called by the gateway once it checked the site's signature; never reachable from outside."""
    return await visitors.identify(tracker.runtime, tracker.board, visitor, body)
