"""Who may read the gateway's answers from another origin (CORS, SEC-5).

- The console's origins (`PUBLIC_URL` and `CONSOLE_ORIGINS`) may call everything.
- A site's allowed origins may read the answers to its visitors' requests: the visitor admission, which
  knows the site (from the visitor token, or from the site key of `POST /api/v1/widget/session`) and has
  checked the Origin against it, calls `allow_site_origins`; the answer then carries
  `Access-Control-Allow-Origin` for that origin (what is refused before the admission knows the site, such
  as a bad token or an event body that cannot be read, is not readable from the page).
- A preflight carries no token, so it cannot name a site: for the visitor endpoints an origin allowed by
  any site (or the console) is let through, and the actual request's admission decides.
- `POST /api/v1/widget/session` alone is let through from any origin (its preflight, for a POST of JSON): a
  page whose origin the site does not allow may read the 403 `origin_not_allowed` refusal (the admission
  calls `allow_refusal_reading`), so that the widget can say why it stays hidden and the browser logs no
  CORS error. It never reads a session: a 2xx needs the site's allowed origins as before.
Nothing else gets an `Access-Control-Allow-Origin`; no credentials (cookies) are ever allowed: the API
authenticates with bearer tokens.
"""

import asyncio
import time
from collections.abc import Iterable

from sqlalchemy import select
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.db import Database
from services.common.errors import Forbidden, app_error_response
from services.common.settings import Settings
from services.gateway.models import sites
from services.gateway.sites import CACHE_SECONDS, EdgeSite
from services.gateway.state import app_gateway_state

# The endpoints the widget calls from its host page (the event endpoint is `visitor_edge.TRACK_EVENTS`).
WIDGET_SESSION = "/api/v1/widget/session"
VISITOR_PREFIXES = (
    "/api/v1/widget/",
    "/api/v1/conversations",
    "/api/v1/track/events",
    "/api/v1/queues/availability",  # the widget's topic picker
    "/api/v1/tickets",  # the offline form
)
VISITOR_PATHS = frozenset({"/api/v1/prechat-form", "/api/v1/prechat"})  # the pre-chat form (not the admins' `-forms`)
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, X-Request-ID"
EXPOSE_HEADERS = "Retry-After, X-Request-ID"
MAX_AGE = "600"
STATE_KEY = "cors_origins"
REFUSAL_KEY = "cors_refusal_origin"
# What a page of any origin may send to `WIDGET_SESSION` (what the widget sends).
REFUSAL_METHODS = "POST"
REFUSAL_HEADERS = "Content-Type"


def allow_site_origins(connection: HTTPConnection, site: EdgeSite) -> None:
    """The request was admitted for `site`: its allowed origins may read the answer."""
    setattr(connection.state, STATE_KEY, site.allowed_origins)


def allow_refusal_reading(connection: HTTPConnection, origin: str) -> None:
    """The widget session is refused to `origin`: the page may read that 403 (and nothing else of the answer)."""
    setattr(connection.state, REFUSAL_KEY, origin.rstrip("/"))


def is_visitor_endpoint(path: str) -> bool:
    return path in VISITOR_PATHS or path.startswith(VISITOR_PREFIXES)


class SiteOrigins:
    """The allowed origins of every site, for preflights; read at most every `CACHE_SECONDS`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._origins: frozenset[str] = frozenset()
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def allows(self, origin: str) -> bool:
        if time.monotonic() >= self._until:
            async with self._lock:
                if time.monotonic() >= self._until:
                    self._origins = await self._load()
                    self._until = time.monotonic() + CACHE_SECONDS
        return origin in self._origins

    def forget(self) -> None:
        """Read the origins again at the next preflight (a site's allowed origins changed)."""
        self._until = 0.0

    async def _load(self) -> frozenset[str]:
        async with self.db.reading() as conn:
            rows: Iterable[list[str]] = (await conn.execute(select(sites.c.allowed_origins))).scalars()
            return frozenset(origin.rstrip("/") for origins in rows for origin in origins or ())


def _origin_of(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"origin":
            return str(value.decode("latin-1"))
    return None


def _vary_on_origin(headers: list[tuple[bytes, bytes]]) -> None:
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"origin" not in value.lower():
                headers[index] = (name, value + b", Origin")
            return
    headers.append((b"vary", b"Origin"))


def _is_preflight(scope: Scope) -> bool:
    return scope["method"] == "OPTIONS" and any(key == b"access-control-request-method" for key, _ in scope["headers"])


class Cors:
    """Pure ASGI, outside the event endpoint's fast path (whose admission sets the site's origins too)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.console = frozenset(settings.allowed_console_origins())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _origin_of(scope) if scope["type"] == "http" else None
        if origin is None:  # same-origin navigation, a server, a socket: nothing to allow
            await self.app(scope, receive, send)
            return
        if _is_preflight(scope):
            await self.preflight(scope, receive, send, origin)
            return
        state = scope.setdefault("state", {})
        wanted = origin.rstrip("/")

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = headers = list(message.get("headers", ()))
                _vary_on_origin(headers)
                readable = wanted in self.console or wanted in state.get(STATE_KEY, ())
                if readable or (message["status"] == 403 and state.get(REFUSAL_KEY) == wanted):
                    headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
                    headers.append((b"access-control-expose-headers", EXPOSE_HEADERS.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def preflight(self, scope: Scope, receive: Receive, send: Send, origin: str) -> None:
        wanted = origin.rstrip("/")
        allowed = wanted in self.console
        if not allowed and is_visitor_endpoint(scope["path"]) and wanted != "null":
            allowed = await app_gateway_state(scope["app"]).site_origins.allows(wanted)
        if not allowed and scope["path"] == WIDGET_SESSION and wanted != "null":
            # any page may ask for a widget session, to read why it is refused
            headers = {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": REFUSAL_METHODS,
                "Access-Control-Allow-Headers": REFUSAL_HEADERS,
                "Access-Control-Max-Age": MAX_AGE,
                "Vary": "Origin",
            }
            await Response(status_code=204, headers=headers)(scope, receive, send)
            return
        if not allowed:
            refused = app_error_response(
                Forbidden(f"Origin {origin} may not call {scope['path']}.", code="origin_not_allowed")
            )
            refused.headers["Vary"] = "Origin"
            await refused(scope, receive, send)
            return
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
            "Vary": "Origin",
        }
        await Response(status_code=204, headers=headers)(scope, receive, send)
