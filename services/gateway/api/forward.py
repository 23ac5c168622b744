"""Everything else under /api/v1 goes to the service that owns it, with the caller's identity."""

from fastapi import APIRouter, Request, Response

from services.common.service import Runtime
from services.gateway.auth import authenticate
from services.gateway.sites import SiteDirectory, check_origin

router = APIRouter()


@router.api_route("/api/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def forward(path: str, request: Request, runtime: Runtime) -> Response:
    identity = authenticate(request, runtime)
    origin = request.headers.get("origin")
    if identity is not None and identity.kind == "visitor" and origin is not None:
        directory: SiteDirectory = runtime.extras["sites"]
        site = await directory.by_id(identity.site_id or "")
        if site is not None:
            check_origin(site, origin)
    response: Response = await runtime.extras["clients"].forward(request, identity)
    return response
