"""Authentication before the body: every operation of the public API needs a bearer token that verifies, but
the few of `ANONYMOUS` (each checks what it takes itself). Checked after routing (an unknown path is 404,
another method 405) and before the body is read or validated, so that without a valid token the answer is
401 whatever was sent (FastAPI reads and validates a body before a route's own code, or its dependencies,
can look at the token: a 422 told an anonymous caller how the body of an admin's operation is shaped).

- `TokenFirst`, a middleware, matches the request against the declared operations (the gateway's own and
  the proxied ones) before the routes run, and checks the token of those that need one (`needs_token`),
  and the installation's key of `POST /accounts` (403 without it, whatever the body).
- The OpenAPI document declares the bearer scheme on the same operations (`openapi`), and the tests walk it.

What the token allows (its kind, its role, its account) is each route's own check, afterwards.
"""

import hmac

from fastapi.openapi.utils import get_openapi
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.errors import Forbidden, MethodNotAllowed, NotFound, Unauthorized, app_error_response
from services.common.tokens import identity_from_public_token
from services.gateway.routes_table import ROUTES, Route, RouteTable, public_segments

# (method, path template) of the operations that take no bearer token.
ANONYMOUS: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/v1/auth/login"),  # e-mail and password
        ("POST", "/api/v1/auth/refresh"),  # a refresh token in the body
        ("POST", "/api/v1/auth/logout"),  # a refresh token in the body, or an access token
        ("POST", "/api/v1/accounts"),  # the installation's X-Admin-Key
        ("POST", "/api/v1/widget/session"),  # a site key, from one of the site's origins
        ("POST", "/api/v1/track/events"),  # the visitor token in the body of a beacon (`sendBeacon` sets no headers)
        ("POST", "/api/v1/inbound-email"),  # a mail provider: X-Floorwalker-Inbound-Secret (checked by chat)
    }
)
# Those of them that take the installation's `X-Admin-Key` instead, checked here too (before the body).
INSTALLATION_KEY: frozenset[tuple[str, str]] = frozenset({("POST", "/api/v1/accounts")})
PUBLIC_PREFIX = "/api/"


def needs_token(method: str, template: str) -> bool:
    """Whether this operation of the public API needs a bearer token (what is not under `/api/` does not)."""
    return template.startswith(PUBLIC_PREFIX) and (method, template) not in ANONYMOUS


def bearer_token(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_token(connection: HTTPConnection) -> None:
    """401 unless the request carries a bearer token that verifies (an operator's or a visitor's)."""
    token = bearer_token(connection)
    if token is None:
        raise Unauthorized("Send a bearer token (Authorization: Bearer <token>).", code="not_authenticated")
    identity_from_public_token(token, connection.app.state.runtime.settings.jwt_secret)  # else 401 invalid_token


def require_installation_key(connection: HTTPConnection) -> None:
    """403 unless the request carries the installation's `ADMIN_API_KEY` (none set: nobody may)."""
    expected: str | None = connection.app.state.runtime.settings.admin_api_key
    given = connection.headers.get("x-admin-key", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("A valid X-Admin-Key header is required.", code="admin_key_required")


def own_routes(app: Starlette) -> tuple[Route, ...]:
    """The gateway's own documented operations as declared routes (`routes_table.Route`): each path
    parameter must have a declared shape (`PARAMETER_SHAPES`), else this raises."""
    paths = get_openapi(title="gateway", version="1", routes=app.routes)["paths"]
    return tuple(Route(method.upper(), template, "gateway") for template, item in paths.items() for method in item)


class TokenFirst:
    """Pure ASGI middleware of the gateway, inside CORS and outside the input guard (which reads the body): a
    request for a declared operation of the API (the gateway's own and the proxied ones, in one `RouteTable`)
    that needs a token is answered 401 here unless it carries one that verifies; a path parameter of the
    wrong shape, 404 (`<name>_not_found`), and a declared path with another method, 405 with `Allow`, as the
    proxy answers them. Anything else (a refused segment, no such operation) goes on to `EdgePaths` and the
    routes, which answer it. The table is made from the app's routes at its start (or its first request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.table: RouteTable | None = None

    def routes(self, app: Starlette) -> RouteTable:
        if self.table is None:
            self.table = RouteTable(own_routes(app) + tuple(r for r in ROUTES if r.public))
        return self.table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self.routes(scope["app"])  # a route whose path parameter has no declared shape: no start
        elif scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIX):
            try:
                self.check(scope)
            except (Unauthorized, Forbidden, NotFound, MethodNotAllowed) as exc:
                await app_error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> None:
        try:
            segments = public_segments(scope.get("raw_path") or scope["path"])
            match = self.routes(scope["app"]).match(scope["method"], segments)
        except MethodNotAllowed:
            if scope["method"] in ("HEAD", "OPTIONS"):  # a GET route's HEAD; OPTIONS: see `forward`
                return
            raise  # 405 with `Allow`, before the input guard reads a body no route takes
        except NotFound as exc:
            if exc.code != "not_found":  # a parameter of the wrong shape
                raise
            return
        operation = (scope["method"], match.route.template)
        if needs_token(*operation):
            require_token(HTTPConnection(scope))
        elif operation in INSTALLATION_KEY:
            require_installation_key(HTTPConnection(scope))
