"""The gateway's way to the services: HTTP in the distributed mode, in-process ASGI when embedded.

Public requests are forwarded only when they matched a declared route (`routes_table`), to the
service owning it, on the path built from the checked parameters, with the caller's identity in a signed
internal header (any such header from outside is dropped). The gateway's own calls (`call`) go through
the same table. Both transports are given the same request target, so a service sees the same path
embedded and distributed.

Both the sockets' calls (`ServiceClients.call`, one per `message.send`) and the REST proxy take a lean
HTTP/1.1 client of their own (`Upstream`: keep-alive connections, httptools' parser); httpx's client was
most of the gateway's CPU per chat message and per tracking batch. httpx remains for the in-process
ASGI transport of the embedded mode.
"""

import asyncio
import json as jsonlib
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import quote, urlencode, urlsplit

import httptools
import httpx
from fastapi import FastAPI, Request, Response

from services.common.errors import PayloadTooLarge, ServiceUnavailable
from services.common.settings import Settings
from services.common.tokens import INTERNAL_HEADER, INTERNAL_TTL, Identity, internal_token
from services.common.validation import MAX_BODY_BYTES, check_json_value
from services.gateway.routes_table import SERVICES, RouteMatch, match_call

# x-floorwalker-inbound-secret: a mail provider posting a reply (`/api/v1/inbound-email`, checked by chat)
FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "x-request-id", "user-agent", "x-floorwalker-inbound-secret")
# content-security-policy, x-content-type-options, cache-control: a chat attachment's (`sandbox`, `nosniff`, no-store)
FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "content-disposition",
    "x-request-id",
    "retry-after",
    "content-security-policy",
    "x-content-type-options",
    "cache-control",
)


TIMEOUT_SECONDS = 30.0
MAX_CONNECTIONS = 200
MAX_IDLE_CONNECTIONS = 100
IDLE_SECONDS = 4.0  # below uvicorn's keep-alive timeout (5 s): we drop a connection before the server does
TOKEN_REUSE_SECONDS = INTERNAL_TTL / 4  # a cached internal token has at least 3/4 of its life left
SAFE_TARGET = "/-._~!$&'()*+,;=:@%?"  # RFC 3986 pchar, `/`, `?` and escapes stay; anything else is escaped


def request_target(match: RouteMatch, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> str:
    """The path and query a service is sent, the same for both transports: the checked route's path and
    the query parameters, encoded once here."""
    path = match.path
    if params:
        path += "?" + urlencode(params)
    return path


class UpstreamResponse:
    """What `ServiceClients.call` returns: the status, the body and the headers the proxy passes on."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, content: bytes, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers or {}

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[UpstreamResponse] | None = None
        self.body: list[bytes] = []
        self.headers: dict[str, str] = {}
        self.closed = False
        self.reusable = False
        self.answered = False  # a byte of the current response arrived
        self.idle_since = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)
            self.close()

    def eof_received(self) -> bool:
        self.closed = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("the service closed the connection"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body = []
        self.headers = {}

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        if key in FORWARDED_RESPONSE_HEADERS:
            self.headers[key] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.reusable = self.parser.should_keep_alive()
        if self.waiter is not None and not self.waiter.done():
            response = UpstreamResponse(self.parser.get_status_code(), b"".join(self.body), self.headers)
            self.waiter.set_result(response)

    def _fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def request(self, data: bytes) -> UpstreamResponse:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.answered = self.reusable = False
        self.transport.write(data)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Upstream:
    """A small HTTP/1.1 client for one service: a pool of keep-alive connections, JSON in and out."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"Upstream speaks plain http only, not {base_url}")
        self.host = url.hostname
        self.port = url.port or 80
        self.authority = url.netloc.encode()
        self.prefix = url.path.rstrip("/")
        self.timeout = timeout
        self.idle: deque[_Connection] = deque()
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: dict[str, str],
    ) -> UpstreamResponse:
        """`path` is sent as it is (percent-encoded already; `request_target`), with `params` added.
        `json` (sent as application/json) or `content` (raw, with the caller's content-type header)."""
        target = quote(self.prefix + path, safe=SAFE_TARGET)  # no-op for a built target: a guard, not a codec
        if params:
            target += "?" + urlencode(params)
        head = [f"{method} {target} HTTP/1.1\r\nhost: ".encode(), self.authority, b"\r\n"]
        for name, value in headers.items():
            head.append(f"{name}: {value}\r\n".encode())
        body = content or b""
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            head.append(b"content-type: application/json\r\n")
        if body or method not in ("GET", "HEAD", "DELETE"):
            head.append(b"content-length: %d\r\n" % len(body))
        head.append(b"\r\n")
        data = b"".join(head) + body
        async with self.slots:
            async with asyncio.timeout(self.timeout):
                return await self._send(data)

    async def _send(self, data: bytes) -> UpstreamResponse:
        while True:
            connection, reused = await self._acquire()
            try:
                response = await connection.request(data)
            except BaseException as exc:
                connection.close()
                # The service closed a kept-alive connection as we sent: it never saw the request, send it again.
                if reused and not connection.answered and isinstance(exc, ConnectionError):
                    continue
                raise
            self._release(connection)
            return response

    async def _acquire(self) -> tuple[_Connection, bool]:
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                return connection, True
            connection.close()
        _, protocol = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        return protocol, False

    def _release(self, connection: _Connection) -> None:
        if connection.reusable and not connection.closed and len(self.idle) < MAX_IDLE_CONNECTIONS:
            connection.idle_since = time.monotonic()
            self.idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


class ServiceClients:
    def __init__(self, settings: Settings, apps: Mapping[str, FastAPI] | None = None) -> None:
        self.settings = settings
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.upstreams: dict[str, Upstream] = {}
        self._tokens: dict[Any, tuple[str, float]] = {}
        names = SERVICES
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        for name in names:
            if apps and name in apps:
                transport = httpx.ASGITransport(app=apps[name])
                self.clients[name] = httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=30)
                continue
            url = settings.service_url(name)
            if url:
                self.clients[name] = httpx.AsyncClient(base_url=url, timeout=30, limits=limits)
                if url.startswith("http://"):
                    self.upstreams[name] = Upstream(url)

    def client(self, name: str) -> httpx.AsyncClient:
        client = self.clients.get(name)
        if client is None:
            raise ServiceUnavailable(
                f"The {name} service is not configured ({name.upper()}_URL).", code="service_not_configured"
            )
        return client

    def internal_token(self, identity: Identity) -> str:
        """The signed identity header's value; one token serves an identity for `TOKEN_REUSE_SECONDS`."""
        try:
            key = tuple(identity.__dict__.items())
            hash(key)
        except TypeError:
            return internal_token(identity, self.settings.internal_secret)
        now = time.monotonic()
        cached = self._tokens.get(key)
        if cached is not None and now - cached[1] < TOKEN_REUSE_SECONDS:
            return cached[0]
        if len(self._tokens) >= 10_000:
            self._tokens.clear()
        token = internal_token(identity, self.settings.internal_secret)
        self._tokens[key] = (token, now)
        return token

    async def call(
        self,
        method: str,
        path: str,
        identity: Identity | None,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        path_params: dict[str, str] | None = None,
    ) -> UpstreamResponse:
        """Call a declared route of a service on behalf of `identity` (the sockets, the composed exports).

        `path` is a concrete path (`/api/v1/conversations/<id>/messages`), or with `path_params` a declared
        template (`/api/v1/conversations/{conversation_id}/messages`); either way it must name a declared
        route whose parameters have their shapes (else `NotFound`), and `json` must pass
        `validation.check_json_value` (else 422) before anything is sent.
        """
        match = match_call(method, path, path_params)
        if json is not None:
            check_json_value(json)
        target = request_target(match, params)
        name = match.route.service
        headers = {INTERNAL_HEADER: self.internal_token(identity)} if identity else {}
        upstream = self.upstreams.get(name)
        try:
            if upstream is not None:
                return await upstream.request(method, target, json=json, headers=headers)
            response = await self.client(name).request(method, target, json=json, headers=headers)
            return UpstreamResponse(response.status_code, response.content)
        except (httpx.TransportError, OSError, TimeoutError, httptools.HttpParserError) as exc:
            raise ServiceUnavailable(f"The {name} service did not answer.", code="service_unavailable") from exc

    async def forward(
        self, request: Request, identity: Identity | None, match: RouteMatch, body: bytes | None = None
    ) -> Response:
        """Forward a public request that matched `match` (`routes_table.match_public`); `body`: read already, under
        a limit of the caller's (an attachment's, `uploads`), instead of the request's, under `MAX_BODY_BYTES`."""
        name = match.route.service
        target = request_target(match, request.query_params.multi_items())
        headers = {k: v for k in FORWARDED_REQUEST_HEADERS if (v := request.headers.get(k))}
        if identity is not None:
            headers[INTERNAL_HEADER] = self.internal_token(identity)
        if body is None:
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                raise PayloadTooLarge(f"A request body may have at most {MAX_BODY_BYTES} bytes.", code="body_too_large")
        upstream = self.upstreams.get(name)
        try:
            if upstream is not None:
                answer = await upstream.request(request.method, target, content=body, headers=headers)
            else:
                response = await self.client(name).request(request.method, target, content=body, headers=headers)
                answer = UpstreamResponse(response.status_code, response.content, dict(response.headers))
        except (httpx.TransportError, OSError, TimeoutError, httptools.HttpParserError) as exc:
            raise ServiceUnavailable(f"The {name} service did not answer.", code="service_unavailable") from exc
        out_headers = {k: v for k in FORWARDED_RESPONSE_HEADERS if (v := answer.headers.get(k))}
        return Response(content=answer.content, status_code=answer.status_code, headers=out_headers)

    async def aclose(self) -> None:
        for upstream in self.upstreams.values():
            upstream.close()
        for client in self.clients.values():
            await client.aclose()
