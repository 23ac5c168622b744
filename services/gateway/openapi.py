"""One OpenAPI document for the public API: the gateway's endpoints plus the services' declared public
routes (`routes_table`: what the edge forwards is what the document shows), their path parameters with
the shapes the edge checks, and every operation's error answers in the one error schema."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi

from services.common.errors import ERROR_RESPONSES, ErrorBody
from services.common.validation import ID_SHAPE, KEY_SHAPE
from services.gateway.routes_table import PARAMETER_SHAPES, ROUTES, SERVICES
from services.gateway.state import gateway_state
from services.gateway.token_first import needs_token

router = APIRouter(include_in_schema=False)


async def merged_openapi(request: Request) -> dict[str, Any]:
    app = request.app
    state = gateway_state(request)
    if state.openapi is not None:
        return state.openapi
    doc = get_openapi(
        title="Floorwalker API", version="1.0.0", routes=app.routes, description="The public API of Floorwalker."
    )
    doc.setdefault("components", {}).setdefault("schemas", {})
    clients = state.clients
    complete = True
    for name in SERVICES:
        try:
            service_doc = (await clients.client(name).get("/openapi.json")).json()
        except Exception:
            complete = False
            continue
        _merge_service(doc, service_doc, name)
    _document_errors(doc)
    _document_security(doc)
    if complete:
        state.openapi = doc
    return doc


def _without_clashes(known: dict[str, Any], service_doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The service's document with each schema whose name the document already has for another shape (the rules'
    `Device` condition, tracking's `Device` of a visitor) renamed `<Service><Name>`, its references too: else one
    would silently stand for the other."""
    schemas = service_doc.get("components", {}).get("schemas", {})
    renamed = {old: f"{name.title()}{old}" for old, shape in schemas.items() if old in known and known[old] != shape}
    if not renamed:
        return service_doc
    text = json.dumps(service_doc)
    for old, new in renamed.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    changed: dict[str, Any] = json.loads(text)
    moved = changed["components"]["schemas"]
    for old, new in renamed.items():
        moved[new] = moved.pop(old)
    return changed


def _merge_service(doc: dict[str, Any], service_doc: dict[str, Any], name: str) -> None:
    """The service's operations the edge forwards; the gateway's own operation on a path (e.g. the composed
    exports) is the one callers reach."""
    service_doc = _without_clashes(doc["components"]["schemas"], service_doc, name)
    public = {(r.template, r.method.lower()) for r in ROUTES if r.public and r.service == name}
    for path, item in service_doc.get("paths", {}).items():
        operations = {method: op for method, op in item.items() if (path, method) in public}
        if operations:
            doc["paths"][path] = {**operations, **doc["paths"].get(path, {})}
    doc["components"]["schemas"].update(service_doc.get("components", {}).get("schemas", {}))


def _document_errors(doc: dict[str, Any]) -> None:
    """Every operation answers its errors in `ErrorBody` (FastAPI's own 422 schema is not what is sent),
    and a path parameter the edge checks has that shape."""
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = doc["components"]["schemas"]
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorBody"] = error_schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for item in doc["paths"].values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, declared in ERROR_RESPONSES.items():
                responses[str(status)] = {
                    "description": declared["description"],
                    "content": {"application/json": {"schema": ref}},
                }
            for parameter in operation.get("parameters", []):
                shape = PARAMETER_SHAPES.get(parameter["name"]) if parameter.get("in") == "path" else None
                if shape is not None:
                    parameter["schema"] = {"type": "string", "pattern": shape.pattern}
                    if shape is ID_SHAPE:
                        parameter["description"] = "A UUID."
                    elif shape is KEY_SHAPE:
                        parameter["description"] = "Letters, digits, `_`, `-` (1-64)."


def _document_security(doc: dict[str, Any]) -> None:
    """The operations that need a bearer token (`token_first.needs_token`: all but a few) say so."""
    doc["components"]["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An operator's access token (`/auth/login`) or a visitor's token (`/widget/session`).",
        }
    }
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if needs_token(method.upper(), path):
                operation["security"] = [{"bearer": []}]


@router.get("/api/openapi.json")
async def openapi_json(request: Request) -> dict[str, Any]:
    return await merged_openapi(request)
