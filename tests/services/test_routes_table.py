"""The gateway's declared route table: what it matches, what it refuses, and that it is each service's API."""

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.chat.app import create_app as create_chat
from services.common.errors import MethodNotAllowed, NotFound
from services.common.settings import Settings
from services.gateway.routes_table import ROUTES, match_call, match_public
from services.reporting.app import create_app as create_reporting
from services.rules.app import create_app as create_rules
from services.tracking.app import create_app as create_tracking

CONVERSATION = "01a235cf-369b-7064-9ff9-49c4a238cf01"


def declared_by(app: FastAPI) -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    for route in app.router.routes:
        if hasattr(route, "original_router"):
            candidates = route.original_router.routes
        else:
            candidates = [route]
        for candidate in candidates:
            if isinstance(candidate, APIRoute) and candidate.path.startswith(("/api/", "/internal/")):
                routes |= {(method, candidate.path) for method in candidate.methods}
    return routes


@pytest.mark.parametrize(
    ("service", "factory"),
    [("chat", create_chat), ("tracking", create_tracking), ("rules", create_rules), ("reporting", create_reporting)],
)
def test_the_table_declares_exactly_each_services_api(service: str, factory: object, tmp_path: object) -> None:
    """A route added to a service must be declared in `routes_table.ROUTES` to be reachable (and vice versa)."""
    app = factory(Settings(data_dir=tmp_path))  # type: ignore[operator]
    declared = {(r.method, r.template) for r in ROUTES if r.service == service}
    assert declared == declared_by(app)


def test_a_public_path_matches_its_route_with_decoded_checked_parameters() -> None:
    match = match_public("GET", f"/api/v1/conversations/{CONVERSATION}/messages".encode())
    assert match.route.service == "chat" and match.params == {"conversation_id": CONVERSATION}
    assert match.path == f"/api/v1/conversations/{CONVERSATION}/messages"
    encoded = CONVERSATION.replace("-", "%2D")  # an encoded character that is allowed is decoded once
    assert match_public("POST", f"/api/v1/conversations/{encoded}/accept").params == {"conversation_id": CONVERSATION}
    literal = match_public("GET", "/api/v1/conversations/current?x=1")  # a literal segment wins over an id
    assert literal.route.template == "/api/v1/conversations/current"
    site = match_public("PUT", "/api/v1/track/settings/demo-site_1")
    assert site.params == {"site_id": "demo-site_1"} and site.route.service == "tracking"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/conversations/%01/accept", "not_found"),
        ("/api/v1/conversations/nope/accept", "conversation_not_found"),
        (f"/api/v1/conversations/{CONVERSATION}%0A/accept", "not_found"),
        ("/api/v1/track/settings/x%2F..%2Fsite", "not_found"),
        ("/api/v1/track/settings/%2e%2e", "not_found"),
        ("/api/v1/track/settings/site.json", "site_not_found"),
        ("/api/v1/track/..%2F..%2F..%2Finternal%2Fv1%2Ftrack%2Fidentify", "not_found"),
        ("/internal/v1/track/identify", "not_found"),  # declared, but not public
        ("/api/v1/visitors/x/export", "visitor_not_found"),  # tracking's export: the gateway's own route answers
        ("/api/v1/conversations/", "not_found"),
        ("/api/v1/nothing", "not_found"),
        ("/api/v1/visitors/%ED%A0%80", "not_found"),  # not UTF-8
    ],
)
def test_a_path_off_the_declared_routes_is_not_found(path: str, code: str) -> None:
    method = "PUT" if "settings" in path else "POST" if "accept" in path or "identify" in path else "GET"
    with pytest.raises(NotFound) as refused:
        match_public(method, path)
    assert refused.value.code == code


def test_a_declared_path_with_another_method_is_not_allowed() -> None:
    with pytest.raises(MethodNotAllowed) as refused:
        match_public("PATCH", f"/api/v1/conversations/{CONVERSATION}/messages")
    assert refused.value.headers() == {"Allow": "GET, POST"}


def test_the_gateways_own_calls_reach_internal_routes_and_nothing_off_the_table() -> None:
    assert match_call("POST", "/internal/v1/track/identify").route.service == "tracking"
    assert match_call("GET", f"/api/v1/visitors/{CONVERSATION}/export").route.public is False
    with pytest.raises(NotFound):
        match_call("POST", f"/api/v1/conversations/{CONVERSATION}/../../../internal/v1/track/identify")
    with pytest.raises(NotFound):
        match_call("GET", "/api/v1/visitors/{visitor_id}/export", {"visitor_id": ".."})
    with pytest.raises(ValueError):
        match_call("GET", "/api/v1/undeclared/{visitor_id}", {"visitor_id": CONVERSATION})
