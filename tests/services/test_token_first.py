"""Without a valid token, every protected operation answers 401 before looking at the body (it answered 422
to `POST /api/v1/users` without a token: the body was validated first). Walked over the OpenAPI document:
each operation that declares the bearer scheme, with no token and with a forged one, each with a malformed
body, one too deep, too large or with a lone surrogate (which the input guard refuses), one of the wrong
shape and none; the operations that declare none are exactly `ANONYMOUS`."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.ids import new_id
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.gateway.token_first import ANONYMOUS
from services.reporting.app import create_app as create_reporting
from services.rules.app import create_app as create_rules
from services.tracking.app import create_app as create_tracking
from tests.helpers import BROWSER_UA

BASE = "http://127.0.0.1:8000"
METHODS = ("get", "post", "put", "patch", "delete")
BODIES: dict[str, dict[str, Any]] = {
    "malformed": {"content": b'{"email": '},
    "too deep": {"content": b"[" * 40 + b"]" * 40},
    "lone surrogate": {"content": b'{"name": "\\ud800"}'},
    "too large": {"content": b'{"text": "' + b"x" * 1_100_000 + b'"}'},
    "wrong shape": {"json": {"role": 12, "email": ["x"], "events": "none", "unexpected": {"a": [None]}}},
    "none": {},
}


@asynccontextmanager
async def product(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    bus = MemoryBus()
    services = {
        "chat": create_chat(settings, bus),
        "tracking": create_tracking(settings, bus),
        "rules": create_rules(settings, bus),
        "reporting": create_reporting(settings, bus),
    }
    app = create_gateway(settings.model_copy(update={"public_url": BASE}), bus, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"user-agent": BROWSER_UA, "origin": BASE}
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
            yield client


def filled(path: str, item: dict[str, Any], method: str) -> str:
    """The path with each parameter of its declared shape: a UUID, or a key."""
    parameters = {p["name"]: p for p in [*item.get("parameters", []), *item[method].get("parameters", [])]}

    def value(match: re.Match[str]) -> str:
        pattern = parameters[match[1]]["schema"].get("pattern", "")
        return "demo-shop" if "A-Za-z0-9_-" in pattern else new_id()

    return re.sub(r"\{([a-z_]+)\}", value, path)


def forged_token(settings: Settings) -> str:
    """A well-formed operator token signed with a key that is not the gateway's."""
    claims = {"typ": "access", "sub": new_id(), "acc": new_id(), "role": "admin", "name": "Mallory"}
    return jwt.encode({**claims, "iat": 1_700_000_000, "exp": 4_000_000_000}, "x" * 64, algorithm="HS256")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_every_protected_operation_answers_401_before_reading_the_body(settings: Settings) -> None:
    async with product(settings) as client:
        doc = (await client.get("/api/openapi.json")).json()
        assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        operations = [(m, path, item) for path, item in doc["paths"].items() for m in METHODS if m in item]
        anonymous = {(m.upper(), path) for m, path, item in operations if "security" not in item[m]}
        assert anonymous == ANONYMOUS  # everything else declares the bearer scheme, a new operation too
        protected = [(m, path, item) for m, path, item in operations if "security" in item[m]]
        assert len(protected) >= 30

        failures = []
        for method, path, item in protected:
            target = filled(path, item, method)
            for token in (None, forged_token(settings)):
                headers = {"content-type": "application/json"}
                if token:
                    headers["authorization"] = f"Bearer {token}"
                for kind, body in BODIES.items():
                    if method in ("get", "delete") and kind != "none":
                        continue
                    answer = await client.request(method.upper(), target, headers=headers, **body)
                    code = answer.json().get("error", {}).get("code") if answer.content else None
                    expected = "invalid_token" if token else "not_authenticated"
                    if (answer.status_code, code) != (401, expected):
                        who = "forged token" if token else "no token"
                        failures.append(f"{method.upper()} {path} ({who}, {kind} body): {answer.status_code} {code}")
        assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_routing_still_comes_first_and_the_anonymous_operations_read_their_body(settings: Settings) -> None:
    async with product(settings) as client:
        assert (await client.post("/api/v1/nothing", json={})).status_code == 404
        assert (await client.get("/api/v1/conversations/not-an-id")).status_code == 404  # its shape
        assert (await client.put("/api/v1/users", json={})).status_code == 405
        login = await client.post("/api/v1/auth/login", json={"email": 1})
        assert login.status_code == 422 and login.json()["error"]["code"] == "validation_error"
        json_type = {"content-type": "application/json"}
        session = await client.post("/api/v1/widget/session", content=b"{", headers=json_type)
        assert session.status_code == 400 and session.json()["error"]["code"] == "malformed_json"
        surrogate = await client.post(
            "/api/v1/auth/login", content=BODIES["lone surrogate"]["content"], headers=json_type
        )
        assert surrogate.status_code == 422 and surrogate.json()["error"]["code"] == "invalid_characters"
        for key in ({}, {"x-admin-key": "guessed"}):  # the installation's key is checked before the body too
            account = await client.post("/api/v1/accounts", json={"name": 1}, headers=key)
            assert account.status_code == 403 and account.json()["error"]["code"] == "admin_key_required"
        # A method no route has is 405, whatever its body (the input guard answered 422 first).
        trace = await client.request("TRACE", "/api/v1/users", content=BODIES["lone surrogate"]["content"])
        assert trace.status_code == 405, trace.text
        for path in ("/api/v1/users", "/api/v1/conversations"):  # the gateway's own, a proxied one
            other = await client.put(path, content=BODIES["too deep"]["content"], headers=json_type)
            assert other.status_code == 405 and other.headers["allow"] == "GET, POST", (path, other.text)
