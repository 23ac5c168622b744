"""The gateway's way to the services: HTTP in the distributed mode, in-process ASGI when embedded.

Public requests under /api/v1 are forwarded to the service owning the path, with the caller's
identity in a signed internal header (any such header from outside is dropped).
"""

from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from services.common.errors import NotFound, PayloadTooLarge, ServiceUnavailable
from services.common.settings import Settings
from services.common.tokens import INTERNAL_HEADER, Identity, internal_token

ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/conversations", "chat"),
    ("/api/v1/track", "tracking"),
    ("/api/v1/visitors", "tracking"),
    ("/api/v1/rules", "rules"),
    ("/api/v1/reports", "reporting"),
)
MAX_BODY_BYTES = 1_048_576
FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "x-request-id", "user-agent")
FORWARDED_RESPONSE_HEADERS = ("content-type", "content-disposition", "x-request-id")


def service_for(path: str) -> str:
    for prefix, name in ROUTES:
        if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?"):
            return name
    raise NotFound(f"No API at {path}.", code="not_found")


class ServiceClients:
    def __init__(self, settings: Settings, apps: Mapping[str, FastAPI] | None = None) -> None:
        self.settings = settings
        self.clients: dict[str, httpx.AsyncClient] = {}
        names = {name for _, name in ROUTES}
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        for name in names:
            if apps and name in apps:
                transport = httpx.ASGITransport(app=apps[name])
                self.clients[name] = httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=30)
                continue
            url = settings.service_url(name)
            if url:
                self.clients[name] = httpx.AsyncClient(base_url=url, timeout=30, limits=limits)

    def client(self, name: str) -> httpx.AsyncClient:
        client = self.clients.get(name)
        if client is None:
            raise ServiceUnavailable(
                f"The {name} service is not configured ({name.upper()}_URL).", code="service_not_configured"
            )
        return client

    async def call(
        self,
        method: str,
        path: str,
        identity: Identity | None,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Call a service on behalf of `identity` (used by the sockets)."""
        headers = {INTERNAL_HEADER: internal_token(identity, self.settings.internal_secret)} if identity else {}
        try:
            return await self.client(service_for(path)).request(method, path, json=json, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"The {service_for(path)} service did not answer.", code="service_unavailable"
            ) from exc

    async def forward(self, request: Request, identity: Identity | None) -> Response:
        path = request.url.path
        name = service_for(path)
        headers = {k: v for k in FORWARDED_REQUEST_HEADERS if (v := request.headers.get(k))}
        if identity is not None:
            headers[INTERNAL_HEADER] = internal_token(identity, self.settings.internal_secret)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"A request body may have at most {MAX_BODY_BYTES} bytes.", code="body_too_large")
        try:
            upstream = await self.client(name).request(
                request.method, path, params=request.query_params, content=body, headers=headers
            )
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"The {name} service did not answer.", code="service_unavailable") from exc
        out_headers = {k: v for k in FORWARDED_RESPONSE_HEADERS if (v := upstream.headers.get(k))}
        return Response(content=upstream.content, status_code=upstream.status_code, headers=out_headers)

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
