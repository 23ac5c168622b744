"""The routes the gateway forwards: each service's operations by method and path template, with typed
parameters.

The gateway forwards a request only when it matched one of these, and builds the upstream path from the
matched parameters, decoded and checked by shape (`PARAMETER_SHAPES`), each quoted again: what reaches a
service is always one of its declared paths, whatever the caller encoded. Anything else is 404 (405 for
a declared path with another method) before any service is called. `public=False` routes are reached
only by the gateway itself (`ServiceClients.call`): the internal identify, and tracking's exports, which
the gateway's own export routes join with chat's.

Matching is a walk down a tree of segments (one dict lookup per segment), not a loop over patterns.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.errors import MethodNotAllowed, NotFound, app_error_response
from services.common.validation import ID_SHAPE, KEY_SHAPE
from services.gateway.site_addresses import DOMAIN_PATTERN

# Every path parameter's shape, of the proxied routes and of the gateway's own (`token_first` checks
# those at the edge too): the ids the gateway and the services make are UUIDs; site ids are checked as
# keys (the services' tests and older data name sites freely). Of the wrong shape: 404.
PARAMETER_SHAPES: dict[str, re.Pattern[str]] = {
    "conversation_id": ID_SHAPE,
    "visitor_id": ID_SHAPE,
    "contact_id": ID_SHAPE,
    "site_id": KEY_SHAPE,
    "user_id": ID_SHAPE,
    "invitation_id": ID_SHAPE,
    "rule_id": ID_SHAPE,
    "segment_id": ID_SHAPE,
    "queue_id": ID_SHAPE,
    "canned_id": ID_SHAPE,
    "material_id": ID_SHAPE,
    "ticket_id": ID_SHAPE,
    "attachment_id": ID_SHAPE,
    "message_id": ID_SHAPE,
    "domain": re.compile(DOMAIN_PATTERN),  # one of a site's domains: a host name or an IP address
    "photo_id": re.compile(r"^[A-Za-z0-9_-]{32}$"),  # the gateway's `GET /photos/{photo_id}` (`api/photos.py`)
}
_PARAMETER = re.compile(r"^\{([a-z_]+)\}$")
# A segment no declared path has: a decoded `/` or `\`, a control character or NUL. Dot segments too.
_NOT_IN_SEGMENT = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    service: str
    public: bool = True
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # Each segment's parameter name, or None for a literal one.
    params: tuple[str | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        segments = tuple(self.template.strip("/").split("/"))
        params = tuple(name[1] if (name := _PARAMETER.match(segment)) else None for segment in segments)
        for param in params:
            if param is not None and param not in PARAMETER_SHAPES:
                raise ValueError(f"{self.template}: no shape declared for {{{param}}} (PARAMETER_SHAPES)")
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "params", params)


ROUTES: tuple[Route, ...] = (
    # chat
    Route("POST", "/api/v1/conversations", "chat"),
    Route("GET", "/api/v1/conversations", "chat"),
    Route("GET", "/api/v1/conversations/current", "chat"),
    Route("GET", "/api/v1/conversations/export", "chat"),  # chat's part of the exports (admins)
    Route("GET", "/api/v1/conversations/{conversation_id}", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/accept", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/decline", "chat"),  # the offered operator passes it on
    Route("POST", "/api/v1/conversations/{conversation_id}/close", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/messages", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/read-marks", "chat"),  # EMB-8: how far each one read
    Route("POST", "/api/v1/conversations/{conversation_id}/messages", "chat"),
    # attachments (CHAT-10): the upload's body is streamed with its own limit (`gateway/uploads.py`)
    Route("POST", "/api/v1/conversations/{conversation_id}/attachments", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/attachments/{attachment_id}", "chat"),
    # edit, retract (operators) and the versions (managers) of a message (CHAT-5)
    Route("PATCH", "/api/v1/conversations/{conversation_id}/messages/{message_id}", "chat"),
    Route("DELETE", "/api/v1/conversations/{conversation_id}/messages/{message_id}", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/messages/{message_id}/history", "chat"),
    # the visitor's post-chat rating (EMB-10): visitors rate, the conversation's staff read
    Route("POST", "/api/v1/conversations/{conversation_id}/rating", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/rating", "chat"),
    # who is in a conversation (CHAT-6, OPS-7)
    Route("POST", "/api/v1/conversations/{conversation_id}/transfer", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/participants", "chat"),
    Route("DELETE", "/api/v1/conversations/{conversation_id}/participants/{user_id}", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/watch", "chat"),
    Route("DELETE", "/api/v1/conversations/{conversation_id}/watch", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/join", "chat"),
    Route("POST", "/internal/v1/group-conversations", "chat", public=False),  # the gateway checked the visitors
    # typing signals and read marks: the sockets' `typing` and `read` frames, the marks sent on a resume
    Route("POST", "/internal/v1/conversations/{conversation_id}/typing", "chat", public=False),
    Route("POST", "/internal/v1/conversations/{conversation_id}/read", "chat", public=False),
    Route("GET", "/internal/v1/conversations/{conversation_id}/read", "chat", public=False),
    Route("POST", "/internal/v1/conversations/invited", "chat", public=False),  # an accepted invitation's
    Route("GET", "/api/v1/queues", "chat"),
    Route("POST", "/api/v1/queues", "chat"),
    Route("GET", "/api/v1/queues/summary", "chat"),  # consoles: what waits where, who can answer
    Route("GET", "/api/v1/queues/availability", "chat"),  # visitors: each topic online or not, its hours
    Route("GET", "/api/v1/queues/{queue_id}", "chat"),
    Route("PUT", "/api/v1/queues/{queue_id}", "chat"),
    Route("DELETE", "/api/v1/queues/{queue_id}", "chat"),
    # canned responses and support materials (OPS-3, OPS-4)
    Route("GET", "/api/v1/canned-responses", "chat"),
    Route("POST", "/api/v1/canned-responses", "chat"),
    Route("PUT", "/api/v1/canned-responses/{canned_id}", "chat"),
    Route("DELETE", "/api/v1/canned-responses/{canned_id}", "chat"),
    # pre-chat form, customer card, internal notes, history of closed chats (EMB-3, CHAT-8, OPS-5, OPS-3)
    Route("GET", "/api/v1/prechat-form", "chat"),
    Route("POST", "/api/v1/prechat", "chat"),
    Route("GET", "/api/v1/prechat-forms", "chat"),
    Route("PUT", "/api/v1/prechat-forms", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/contact", "chat"),
    Route("GET", "/api/v1/conversations/{conversation_id}/notes", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/notes", "chat"),
    Route("GET", "/api/v1/history", "chat"),
    Route("GET", "/api/v1/history/{conversation_id}", "chat"),
    Route("POST", "/internal/v1/contacts/identify", "chat", public=False),  # the site identified its visitor
    Route("GET", "/api/v1/materials", "chat"),
    Route("POST", "/api/v1/materials", "chat"),
    Route("PUT", "/api/v1/materials/{material_id}", "chat"),
    Route("DELETE", "/api/v1/materials/{material_id}", "chat"),
    # tickets and email (OFF-1..3); the inbound one is a mail provider's, with the shared secret header
    Route("POST", "/api/v1/tickets", "chat"),
    Route("GET", "/api/v1/tickets", "chat"),
    Route("GET", "/api/v1/tickets/{ticket_id}", "chat"),
    Route("POST", "/api/v1/tickets/{ticket_id}/replies", "chat"),
    Route("POST", "/api/v1/tickets/{ticket_id}/close", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/ticket", "chat"),
    Route("POST", "/api/v1/conversations/{conversation_id}/transcript", "chat"),
    Route("POST", "/api/v1/inbound-email", "chat"),
    Route("GET", "/api/v1/me/presence", "chat"),
    Route("PUT", "/api/v1/me/presence", "chat"),
    Route("GET", "/api/v1/me/alerts", "chat"),  # OPS-5: SMS on a new chat, per operator
    Route("PUT", "/api/v1/me/alerts", "chat"),
    Route("GET", "/api/v1/presence", "chat"),
    Route("GET", "/api/v1/presence/colleagues", "chat"),  # any operator: whom to transfer to (no contact details)
    Route("PUT", "/api/v1/presence/settings", "chat"),
    Route("PUT", "/api/v1/operators/{user_id}/presence", "chat"),
    Route("PUT", "/api/v1/operators/{user_id}/capacity", "chat"),
    Route("PUT", "/api/v1/operators/{user_id}/languages", "chat"),
    Route("POST", "/internal/v1/presence/heartbeat", "chat", public=False),  # operator sockets a gateway holds
    Route("GET", "/internal/v1/queues/sections", "chat", public=False),  # passive mode: the widget session's
    Route("POST", "/internal/v1/conversations/visitors-seen", "chat", public=False),  # visitor sockets it holds
    # tracking (`POST /api/v1/track/events` is answered by the gateway itself: `track_ingest`)
    Route("GET", "/api/v1/visitors/live", "tracking"),
    Route("GET", "/api/v1/visitors/{visitor_id}", "tracking"),
    Route("DELETE", "/api/v1/visitors/{visitor_id}", "tracking"),
    Route("GET", "/api/v1/visitors/{visitor_id}/export", "tracking", public=False),
    Route("DELETE", "/api/v1/contacts/{contact_id}", "tracking"),
    Route("GET", "/api/v1/contacts/{contact_id}/export", "tracking", public=False),
    Route("GET", "/api/v1/track/settings/{site_id}", "tracking"),
    Route("PUT", "/api/v1/track/settings/{site_id}", "tracking"),
    Route("POST", "/internal/v1/track/identify", "tracking", public=False),
    Route("GET", "/internal/v1/track/sections", "tracking", public=False),  # passive mode: the widget session's
    # rules
    Route("GET", "/api/v1/rules/visitor-stats/{visitor_id}", "rules"),
    Route("GET", "/api/v1/sites/{site_id}/rules", "rules"),
    Route("POST", "/api/v1/sites/{site_id}/rules", "rules"),
    Route("GET", "/api/v1/rules/{rule_id}", "rules"),
    Route("PUT", "/api/v1/rules/{rule_id}", "rules"),
    Route("PATCH", "/api/v1/rules/{rule_id}", "rules"),
    Route("DELETE", "/api/v1/rules/{rule_id}", "rules"),
    Route("POST", "/api/v1/rules/{rule_id}/move", "rules"),
    Route("POST", "/api/v1/sites/{site_id}/rules/preview", "rules"),
    Route("GET", "/api/v1/rules/{rule_id}/explain/{visitor_id}", "rules"),
    # segments (rules)
    Route("GET", "/api/v1/segments", "rules"),
    Route("POST", "/api/v1/segments", "rules"),
    Route("POST", "/api/v1/segments/preview", "rules"),
    Route("GET", "/api/v1/segments/{segment_id}", "rules"),
    Route("PUT", "/api/v1/segments/{segment_id}", "rules"),
    Route("DELETE", "/api/v1/segments/{segment_id}", "rules"),
    Route("POST", "/api/v1/segments/{segment_id}/move", "rules"),
    # reporting
    Route("GET", "/api/v1/reports/summary", "reporting"),
)
SERVICES: tuple[str, ...] = tuple(sorted({route.service for route in ROUTES}))


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    params: dict[str, str]

    @property
    def path(self) -> str:
        """The upstream path: the template with each checked parameter quoted in."""
        parts = (
            segment if param is None else quote(self.params[param], safe="")
            for segment, param in zip(self.route.segments, self.route.params, strict=True)
        )
        return "/" + "/".join(parts)


class _Node:
    __slots__ = ("literals", "methods", "param", "param_node")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.param: str | None = None
        self.param_node: _Node | None = None
        self.methods: dict[str, Route] = {}


class RouteTable:
    """Declared routes as a tree of path segments: a literal segment wins over a parameter."""

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.root = _Node()
        for route in routes:
            node = self.root
            for segment in route.segments:
                name = _PARAMETER.match(segment)
                if name is None:
                    node = node.literals.setdefault(segment, _Node())
                    continue
                if node.param not in (None, name[1]):
                    raise ValueError(f"{route.template}: {{{name[1]}}} where another route has {{{node.param}}}")
                node.param = name[1]
                node.param_node = node.param_node or _Node()
                node = node.param_node
            if route.method in node.methods:
                raise ValueError(f"{route.method} {route.template} is declared twice")
            node.methods[route.method] = route

    def match(self, method: str, segments: list[str]) -> RouteMatch:
        """The route these decoded segments and method name, with its parameters; else `NotFound` (a
        parameter of the wrong shape: `<name>_not_found`, as the service would say of an unknown id)
        or `MethodNotAllowed`."""
        node = self.root
        params: dict[str, str] = {}
        for segment in segments:
            child = node.literals.get(segment)
            if child is None and node.param is not None and node.param_node is not None:
                if not PARAMETER_SHAPES[node.param].fullmatch(segment):
                    what = node.param.removesuffix("_id")
                    raise NotFound(f"No such {what}.", code=f"{what}_not_found")
                params[node.param] = segment
                child = node.param_node
            if child is None:
                raise NotFound("No API at this path.", code="not_found")
            node = child
        route = node.methods.get(method)
        if route is None:
            if not node.methods:
                raise NotFound("No API at this path.", code="not_found")
            raise MethodNotAllowed(f"{method} is not allowed here.", allow=sorted(node.methods))
        return RouteMatch(route, params)


PUBLIC = RouteTable(tuple(route for route in ROUTES if route.public))
EVERY = RouteTable(ROUTES)


def _refused(segment: str) -> bool:
    return not segment or segment in (".", "..") or _NOT_IN_SEGMENT.search(segment) is not None


def public_segments(raw_path: bytes | str) -> list[str]:
    """The segments of a public request's path, each percent-decoded once; `NotFound` when one is empty,
    a dot segment (plain or encoded), or holds a decoded `/` or `\\`, a control character or NUL: no
    declared path has such a segment, and no service may see one."""
    raw = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else raw_path
    raw = raw.split("?", 1)[0]  # some transports leave the query in `raw_path`
    if not raw.startswith("/"):
        raise NotFound("No API at this path.", code="not_found")
    segments = []
    for part in raw[1:].split("/"):
        try:
            segment = unquote(part, errors="strict") if "%" in part else part
        except UnicodeDecodeError as exc:  # percent-encoded bytes that are not UTF-8
            raise NotFound("No API at this path.", code="not_found") from exc
        if _refused(segment):
            raise NotFound("No API at this path.", code="not_found")
        segments.append(segment)
    return segments


def match_public(method: str, raw_path: bytes | str) -> RouteMatch:
    """The declared public route a request from outside names (by its raw path), or the 404/405 it gets."""
    return PUBLIC.match(method, public_segments(raw_path))


_BY_TEMPLATE = {(route.method, route.template): route for route in ROUTES}


def match_call(method: str, path: str, path_params: dict[str, str] | None = None) -> RouteMatch:
    """The declared route a call of the gateway's own names: a template with `path_params` (the safer
    form: a value is only ever that parameter), or a concrete path whose segments are taken as they are
    (an id with a `/`, `%` or `..` in it matches no route, or fails its shape)."""
    if path_params is None:
        segments = path.split("?", 1)[0].removeprefix("/").split("/")
        if any(_refused(segment) for segment in segments):
            raise NotFound("No API at this path.", code="not_found")
        return EVERY.match(method, segments)
    route = _BY_TEMPLATE.get((method, path))
    if route is None:
        raise ValueError(f"{method} {path} is not a declared route")
    params: dict[str, str] = {}
    for param in route.params:
        if param is not None:
            value = str(path_params[param])
            if not PARAMETER_SHAPES[param].fullmatch(value):
                what = param.removesuffix("_id")
                raise NotFound(f"No such {what}.", code=f"{what}_not_found")
            params[param] = value
    return RouteMatch(route, params)


class EdgePaths:
    """Pure ASGI middleware of the gateway: a request under `/api/` with a segment no declared path has
    (`public_segments`), or for `/internal/` under any spelling, is answered 404 here, before any route
    (the gateway's own included) or service sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            try:
                if path.startswith("/internal"):
                    raise NotFound("No API at this path.", code="not_found")
                if path.startswith("/api/"):
                    public_segments(scope.get("raw_path") or path)
            except NotFound as exc:
                await app_error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)
