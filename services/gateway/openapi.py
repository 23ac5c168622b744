"""One OpenAPI document for the public API: the gateway's endpoints plus those of the services."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from services.common.service import ServiceRuntime
from services.gateway.proxy import ROUTES, ServiceClients

router = APIRouter(include_in_schema=False)


async def merged_openapi(request: Request) -> dict[str, Any]:
    app = request.app
    runtime: ServiceRuntime = app.state.runtime
    cached: dict[str, Any] | None = runtime.extras.get("openapi")
    if cached is not None:
        return cached
    doc = get_openapi(
        title="Floorwalker API", version="1.0.0", routes=app.routes, description="The public API of Floorwalker."
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    clients: ServiceClients = runtime.extras["clients"]
    prefixes = {name: [p for p, n in ROUTES if n == name] for _, name in ROUTES}
    complete = True
    for name, owned in prefixes.items():
        try:
            service_doc = (await clients.client(name).get("/openapi.json")).json()
        except Exception:
            complete = False
            continue
        for path, item in service_doc.get("paths", {}).items():
            if any(path.startswith(p) for p in owned):
                # The gateway's own operation on a path (e.g. the composed exports) is the one callers reach.
                doc["paths"][path] = {**item, **doc["paths"].get(path, {})}
        schemas.update(service_doc.get("components", {}).get("schemas", {}))
    if complete:
        runtime.extras["openapi"] = doc
    return doc


@router.get("/api/openapi.json")
async def openapi_json(request: Request) -> dict[str, Any]:
    return await merged_openapi(request)


@router.get("/api/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/api/openapi.json", title="Floorwalker API")
