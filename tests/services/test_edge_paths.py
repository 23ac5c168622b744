"""The gateway forwards only declared routes, on paths built from checked parameters: crafted paths
(encodings, dot segments, control characters, `/internal`) against every proxied route, in both modes,
never reach a service; the valid path of each reaches it as the same request whichever the transport."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.common.bus import MemoryBus
from services.common.ids import new_id
from services.common.settings import Settings
from services.common.validation import ID_SHAPE
from services.gateway.app import create_app as create_gateway
from services.gateway.demo.seed import DEMO_ADMIN, DEMO_PASSWORD
from services.gateway.proxy import ServiceClients, Upstream, UpstreamResponse
from services.gateway.routes_table import PARAMETER_SHAPES, ROUTES, SERVICES, Route
from services.gateway.token_first import own_routes
from tests.helpers import BROWSER_UA, eventually, free_port, live_server, visitor

Seen = list[tuple[str, str, bytes, bytes]]  # method, path, raw path, query string as a service got them

# Each replaces one segment of a proxied path; `{v}` is the segment's valid value (an id, or the literal).
CRAFTED = (
    "..",
    ".",
    "%2e%2e",
    "%2E%2E",
    "%2e",
    ".%2e",
    "{v}%2F..%2F{v}",
    "..%2F..%2F..%2Finternal%2Fv1%2Ftrack%2Fidentify",
    "%2e%2e%2finternal",
    "{v}%2F",
    "%2F{v}",
    "{v}%5C..%5C{v}",
    "%5C",
    "{v}%00",
    "%00",
    "%01",
    "{v}%0A",
    "{v}%0D%0Aset-cookie:x=1",
    "%09{v}",
    "%1F",
    "%7F",
    "{v}%20",
    "%252e%252e",
    "{v}%252F..",
    "%C0%AE%C0%AE",
    "%ED%A0%80",
    "%E2%80%AE{v}",
    "{v}%EF%BC%8F..",
    "{v};x=1",
    "{v}%3F",
    "{v}%23",
    "",
    "{v}{v}{v}",
)
assert len(CRAFTED) >= 30


def recorder(seen: Seen) -> FastAPI:
    """A service that answers 200 to anything and notes what it was sent."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def record(request: Request) -> JSONResponse:
        raw = request.scope.get("raw_path") or b""
        seen.append((request.method, request.scope["path"], raw.split(b"?")[0], request.scope["query_string"]))
        return JSONResponse({})

    return app


def sample(route: Route, site_id: str) -> tuple[list[str], dict[str, str]]:
    """The route's segments filled with valid values, and the values by parameter."""
    values = {"site_id": site_id, "domain": "shop.example"}  # every other parameter is an id (a UUID)
    values.update({name: new_id() for name, shape in PARAMETER_SHAPES.items() if shape is ID_SHAPE})
    params = {name[1:-1]: values[name[1:-1]] for name in route.segments if name.startswith("{")}
    return [values[s[1:-1]] if s.startswith("{") else s for s in route.segments], params


QUERIES = {"/api/v1/conversations/{conversation_id}/messages": [("after_seq", "5"), ("limit", "10")]}


@asynccontextmanager
async def gateway(settings: Settings, seen: Seen) -> AsyncIterator[tuple[Upstream, dict[str, str], str]]:
    """The gateway over HTTP, its services a recorder: in process (embedded settings) or over HTTP
    (distributed settings). Yields a raw HTTP client (no path normalisation), an admin's headers and the
    demo site's id."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"public_url": base})
    async with recording_services(settings, seen) as (settings, services):
        bus = MemoryBus() if settings.redis_url is None else None
        app = create_gateway(settings, bus, services)
        async with app.router.lifespan_context(app), live_server(app, settings, port):
            client = Upstream(base)
            try:
                # The demo seed stores the demo site's tracking settings through the table: wait for it.
                assert await eventually(lambda: any(m == "PUT" for m, *_ in seen), 30)
                headers = {"content-type": "application/json", "user-agent": BROWSER_UA, "origin": base}
                login = await client.request(
                    "POST", "/api/v1/auth/login", json={"email": DEMO_ADMIN, "password": DEMO_PASSWORD}, headers=headers
                )
                assert login.status_code == 200, login.text
                headers["authorization"] = f"Bearer {login.json()['access_token']}"
                sites = await client.request("GET", "/api/v1/sites", headers=headers)
                seen.clear()
                yield client, headers, sites.json()["sites"][0]["id"]
            finally:
                client.close()


@asynccontextmanager
async def recording_services(
    settings: Settings, seen: Seen
) -> AsyncIterator[tuple[Settings, Mapping[str, FastAPI] | None]]:
    """Recorders as the services: in process for embedded settings, one over HTTP for distributed ones."""
    if settings.fw_mode == "embedded":
        yield settings, {name: recorder(seen) for name in SERVICES}
        return
    async with live_server(recorder(seen)) as url:
        yield settings.model_copy(update={f"{name}_url": url for name in SERVICES}), None


def is_refused(answer: UpstreamResponse) -> bool:
    if answer.status_code != 404 or not answer.headers.get("content-type", "").startswith("application/json"):
        return False
    return str(answer.json()["error"]["code"]).endswith("not_found")


async def test_crafted_paths_reach_no_service_and_declared_ones_arrive_as_built(settings: Settings) -> None:
    seen: Seen = []
    async with gateway(settings, seen) as (client, headers, site_id):
        for route in (r for r in ROUTES if r.public):
            segments, params = sample(route, site_id)
            body = b"{}" if route.method in ("POST", "PUT") else b""
            positions = {i for i, s in enumerate(route.segments) if s.startswith("{")} | {2, len(segments) - 1}
            for position in sorted(positions):
                for crafted in CRAFTED:
                    path = segments.copy()
                    path[position] = crafted.replace("{v}", segments[position])
                    target = "/" + "/".join(path)
                    answer = await client.request(route.method, target, content=body, headers=headers)
                    assert is_refused(answer), (route.method, target, answer.status_code, answer.text)
            assert seen == [], f"a crafted path of {route.template} reached a service: {seen}"

            query = QUERIES.get(route.template, [])
            target = "/" + "/".join(segments) + ("?" + urlencode(query) if query else "")
            answer = await client.request(route.method, target, content=body, headers=headers)
            assert answer.status_code == 200, (route.method, target, answer.text)
            expected = "/" + "/".join(segments)
            assert seen == [(route.method, expected, expected.encode(), urlencode(query).encode())], params
            seen.clear()


async def test_internal_routes_are_out_of_reach_from_outside_under_any_spelling(settings: Settings) -> None:
    seen: Seen = []
    async with gateway(settings, seen) as (client, headers, _):
        for target in (
            "/internal/v1/track/identify",
            "/%69nternal/v1/track/identify",
            "/internal%2Fv1%2Ftrack%2Fidentify",
            "/api/../internal/v1/track/identify",
            "/api/v1/../../internal/v1/track/identify",
            "/api/v1/%2e%2e/%2e%2e/internal/v1/track/identify",
            "/api/v1/track/..%2F..%2F..%2Finternal%2Fv1%2Ftrack%2Fidentify",
            "/api/v1/track/%2e%2e%2f%2e%2e%2f%2e%2e%2finternal%2fv1%2ftrack%2fidentify",
            "/api/v1/conversations/%5C..%5C..%5Cinternal%5Cv1%5Ctrack%5Cidentify",
        ):
            answer = await client.request("POST", target, json={"user_id": "u1", "verified": True}, headers=headers)
            assert answer.status_code == 404, (target, answer.status_code, answer.text)
        assert seen == []


async def test_both_transports_send_a_service_the_same_request_for_every_declared_route() -> None:
    """`ServiceClients.call` in process (embedded) and over HTTP (distributed): the same path, raw path and
    query for each route, the internal ones included."""
    in_process: Seen = []
    over_http: Seen = []
    embedded = ServiceClients(Settings(), {name: recorder(in_process) for name in SERVICES})
    async with live_server(recorder(over_http)) as url:
        distributed = ServiceClients(Settings(**{f"{name}_url": url for name in SERVICES}))
        try:
            for route in ROUTES:
                segments, params = sample(route, "site-1")
                query = {"after_seq": 3, "q": "a b/../&c=%00é"}
                for clients in (embedded, distributed):
                    answer = await clients.call(
                        route.method, route.template, visitor(), json={}, params=query, path_params=params
                    )
                    assert answer.status_code == 200
                expected = "/" + "/".join(segments)
                assert (
                    in_process[-1]
                    == over_http[-1]
                    == (
                        route.method,
                        expected,
                        expected.encode(),
                        urlencode(query).encode(),
                    )
                )
        finally:
            await embedded.aclose()
            await distributed.aclose()


async def test_the_gateways_own_path_parameters_have_their_shapes_checked_at_the_edge(settings: Settings) -> None:
    """Each path parameter of the gateway's own operations has a declared shape (`PARAMETER_SHAPES`, as the
    proxied routes' have; `own_routes` refuses a route without), which the OpenAPI document shows and the edge
    checks before anything else: another shape is 404 `<name>_not_found`, with a token and without."""
    own = [route for route in own_routes(create_gateway(settings)) if any(route.params)]
    assert {name for route in own for name in route.params if name} >= {"site_id", "user_id", "invitation_id"}
    seen: Seen = []
    async with gateway(settings, seen) as (client, headers, site_id):
        doc = (await client.request("GET", "/api/openapi.json", headers=headers)).json()
        anonymous = {k: v for k, v in headers.items() if k != "authorization"}
        for route in own:
            declared = {
                p["name"]: p["schema"].get("pattern")
                for p in doc["paths"][route.template][route.method.lower()]["parameters"]
                if p["in"] == "path"
            }
            for position, name in enumerate(route.params):
                if name is None:
                    continue
                assert declared[name] == PARAMETER_SHAPES[name].pattern, (route.template, name)
                for bad in ("x!y", "%C3%A9t%C3%A9", "a%20b"):
                    segments, _ = sample(route, site_id)
                    segments[position] = bad
                    target = "/" + "/".join(segments)
                    for caller in (headers, anonymous):
                        answer = await client.request(route.method, target, content=b"{}", headers=caller)
                        assert answer.status_code == 404, (route.method, target, answer.status_code, answer.text)
                        assert answer.json()["error"]["code"] == f"{name.removesuffix('_id')}_not_found", target
        assert seen == []
