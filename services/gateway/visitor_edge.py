"""A visitor's request at the edge, checked where it is cheap: the token, the site's origins and block
list, rate limits, robots (no chat), and whether their events may be tracked at all (DNT, consent)."""

from fastapi import Request

from services.common.errors import Forbidden, Unauthorized
from services.common.identity import check_role
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, identity_from_public_token
from services.gateway.auth import authenticate
from services.gateway.cors import allow_site_origins
from services.gateway.sites import EdgeSite, check_origin
from services.gateway.state import gateway_state

TRACK_EVENTS = "/api/v1/track/events"


def caller(request: Request, runtime: ServiceRuntime, body_token: str | None = None) -> Identity | None:
    """The bearer token, else the one an event beacon carries in its body (`sendBeacon` sets no headers).
    Never one from the URL: a URL ends up in logs and in the browser's history."""
    identity = authenticate(request, runtime)
    if identity is None and body_token:
        identity = identity_from_public_token(body_token, runtime.settings.jwt_secret)[0]
    return identity


async def admit_visitor(request: Request, runtime: ServiceRuntime, visitor: Identity) -> tuple[Identity, EdgeSite]:
    """The visitor (with their address) and their site, or the error that stops them here."""
    state = gateway_state(request)
    directory, edge = state.sites, state.edge
    site = await directory.by_id(visitor.site_id or "")
    if site is None or site.account_id != visitor.account_id:
        raise Unauthorized("The visitor token names an unknown site.", code="invalid_token")
    origin = request.headers.get("origin")
    if origin is not None:
        check_origin(site, origin)
        allow_site_origins(request, site)  # the page may read the answer (CORS)
    ip = edge.address(request)
    edge.check_blocked(site, request, ip, visitor.robot)
    await edge.limit_visitor(visitor.visitor_id or "", site.id, ip)
    if visitor.robot and request.scope["path"].startswith("/api/v1/conversations"):
        raise Forbidden("Robots are not offered chat.", code="robots_get_no_chat")
    return visitor.model_copy(update={"ip": ip}), site


async def admitted_visitor(
    request: Request, runtime: ServiceRuntime, body_token: str | None = None
) -> tuple[Identity, EdgeSite]:
    """The calling visitor (a visitor token is required) and their site, admitted at the edge."""
    identity = caller(request, runtime, body_token)
    if identity is None:
        raise Unauthorized("A visitor token is required.", code="not_authenticated")
    return await admit_visitor(request, runtime, check_role(identity, ("visitor",)))


def not_tracked(request: Request, site: EdgeSite, visitor: Identity) -> str | None:
    """Why this visitor's events must not be stored, if they must not."""
    if site.privacy.honor_dnt and request.headers.get("dnt") == "1":
        return "do_not_track"
    if site.privacy.consent_required and not visitor.consent:
        return "no_consent"
    return None
