"""The rest of /api/v1 goes to the service owning it, with the caller's identity: only what matched a
declared route (`routes_table`), on the path built from its checked parameters. Anything else is 404
(405 for a declared path and another method) before anyone is authenticated or any service called.

Visitors' requests are admitted at the edge first (`visitor_edge`).
"""

import re

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi

from services.common.errors import MethodNotAllowed, NotFound
from services.common.service import Runtime
from services.common.tokens import Identity
from services.gateway.routes_table import RouteMatch, match_public
from services.gateway.sites import SiteDirectory
from services.gateway.state import gateway_state
from services.gateway.uploads import is_streamed, read_upload
from services.gateway.visitor_edge import admit_visitor, caller

router = APIRouter()


async def _check_site_of_account(sites: SiteDirectory, identity: Identity, match: RouteMatch) -> None:
    """A site-scoped route names a site of the caller's account (by the matched, decoded parameter)."""
    site_id = match.params.get("site_id")
    if site_id is not None:
        site = await sites.by_id(site_id)
        if site is None or site.account_id != identity.account_id:
            raise NotFound("No such site.", code="site_not_found")


def _own_routes(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    """The gateway's own operations (path pattern, methods), read once from its OpenAPI description."""
    routes: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "own_routes", None)
    if routes is None:
        paths = get_openapi(title="gateway", version="1", routes=app.routes)["paths"]
        routes = []
        for template, operations in paths.items():
            parts = ("[^/]+" if p.startswith("{") else re.escape(p) for p in template.split("/"))
            routes.append((re.compile("/".join(parts) + r"\Z"), {method.upper() for method in operations}))
        app.state.own_routes = routes
    return routes


def _declared(request: Request) -> RouteMatch:
    try:
        return match_public(request.method, request.scope.get("raw_path") or request.scope["path"])
    except NotFound:
        # A path of the gateway's own with another method (this catch-all took it first): 405.
        path = request.scope["path"]
        allowed = {m for pattern, methods in _own_routes(request.app) if pattern.match(path) for m in methods}
        if allowed:
            raise MethodNotAllowed(f"{request.method} is not allowed here.", allow=sorted(allowed)) from None
        raise


# OPTIONS too: a request the CORS middleware did not answer (no preflight) gets the path's real `Allow`.
@router.api_route(
    "/api/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
)
async def forward(request: Request, runtime: Runtime) -> Response:
    match = _declared(request)
    identity = caller(request, runtime)
    state = gateway_state(request)
    if identity is not None and identity.kind == "visitor":
        identity, _ = await admit_visitor(request, runtime, identity)
    elif identity is not None:
        await _check_site_of_account(state.sites, identity, match)
    body = await read_upload(request, runtime.settings.attachment_max_bytes) if is_streamed(match) else None
    response: Response = await state.clients.forward(request, identity, match, body)
    return response
