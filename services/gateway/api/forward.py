"""Everything else under /api/v1 goes to the service that owns it, with the caller's identity.

Visitors' requests are admitted at the edge first (`visitor_edge`).
"""

import re

from fastapi import APIRouter, Request, Response

from services.common.errors import NotFound
from services.common.service import Runtime, ServiceRuntime
from services.common.tokens import Identity
from services.gateway.visitor_edge import admit_visitor, caller

router = APIRouter()
SITE_SCOPED = re.compile(r"^/api/v1/track/settings/(?P<site_id>[^/]+)$")


async def _check_site_of_account(runtime: ServiceRuntime, identity: Identity, path: str) -> None:
    scoped = SITE_SCOPED.match(path)
    if scoped:
        site = await runtime.extras["sites"].by_id(scoped["site_id"])
        if site is None or site.account_id != identity.account_id:
            raise NotFound("No such site.", code="site_not_found")


@router.api_route("/api/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def forward(path: str, request: Request, runtime: Runtime) -> Response:
    identity = caller(request, runtime)
    if identity is not None and identity.kind == "visitor":
        identity, _ = await admit_visitor(request, runtime, identity)
    elif identity is not None:
        await _check_site_of_account(runtime, identity, request.url.path)
    response: Response = await runtime.extras["clients"].forward(request, identity)
    return response
