"""Everything else under /api/v1 goes to the service that owns it, with the caller's identity.

Visitors' requests are checked at the edge first, where it is cheap: the site's origins and block list,
rate limits, robots (no chat), Do-Not-Track and consent (nothing tracked: the events are dropped here).
"""

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.common.errors import Forbidden, NotFound, Unauthorized
from services.common.service import Runtime, ServiceRuntime
from services.common.tokens import Identity, identity_from_public_token
from services.gateway.auth import authenticate
from services.gateway.edge import Edge
from services.gateway.sites import EdgeSite, SiteDirectory, check_origin

router = APIRouter()
TRACK_EVENTS = "/api/v1/track/events"
SITE_SCOPED = re.compile(r"^/api/v1/track/settings/(?P<site_id>[^/]+)$")


def _caller(request: Request, runtime: ServiceRuntime) -> Identity | None:
    """The bearer token, or for the event beacon the `vt` query parameter (`sendBeacon` sets no headers)."""
    identity = authenticate(request, runtime)
    token = request.query_params.get("vt")
    if identity is None and token and request.url.path == TRACK_EVENTS:
        identity = identity_from_public_token(token, runtime.settings.jwt_secret)[0]
    return identity


async def _visitor_at_the_edge(
    request: Request, runtime: ServiceRuntime, visitor: Identity
) -> tuple[Identity, EdgeSite]:
    directory: SiteDirectory = runtime.extras["sites"]
    edge: Edge = runtime.extras["edge"]
    site = await directory.by_id(visitor.site_id or "")
    if site is None or site.account_id != visitor.account_id:
        raise Unauthorized("The visitor token names an unknown site.", code="invalid_token")
    origin = request.headers.get("origin")
    if origin is not None:
        check_origin(site, origin)
    ip = edge.address(request)
    edge.check_blocked(site, request, ip, visitor.robot)
    await edge.limit_visitor(visitor.visitor_id or "", site.id, ip)
    if visitor.robot and request.url.path.startswith("/api/v1/conversations"):
        raise Forbidden("Robots are not offered chat.", code="robots_get_no_chat")
    return visitor.model_copy(update={"ip": ip}), site


def _not_tracked(request: Request, site: EdgeSite, visitor: Identity) -> str | None:
    """Why this visitor's events must not be stored, if they must not."""
    if site.privacy.honor_dnt and request.headers.get("dnt") == "1":
        return "do_not_track"
    if site.privacy.consent_required and not visitor.consent:
        return "no_consent"
    return None


async def _check_site_of_account(runtime: ServiceRuntime, identity: Identity, path: str) -> None:
    scoped = SITE_SCOPED.match(path)
    if scoped:
        site = await runtime.extras["sites"].by_id(scoped["site_id"])
        if site is None or site.account_id != identity.account_id:
            raise NotFound("No such site.", code="site_not_found")


@router.api_route("/api/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def forward(path: str, request: Request, runtime: Runtime) -> Response:
    identity = _caller(request, runtime)
    if identity is not None and identity.kind == "visitor":
        identity, site = await _visitor_at_the_edge(request, runtime, identity)
        if request.url.path == TRACK_EVENTS and request.method == "POST":
            reason = _not_tracked(request, site, identity)
            if reason:
                return JSONResponse({"accepted": 0, "dropped": True, "reason": reason}, status_code=202)
    elif identity is not None:
        await _check_site_of_account(runtime, identity, request.url.path)
    response: Response = await runtime.extras["clients"].forward(request, identity)
    return response
