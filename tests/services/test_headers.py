"""Security headers, CORS and the metrics port (SEC-5): what a browser and an outsider get from the gateway."""

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.observability import serve_metrics
from services.common.runner import metrics_port
from services.common.settings import Settings
from services.gateway import accounts as accts
from services.gateway.app import create_app as create_gateway
from services.tracking.app import create_app as create_tracking
from tests.chat_client import SITE_KEY, login
from tests.helpers import BROWSER_UA, ROOT, free_port

BASE = "http://127.0.0.1:8000"  # PUBLIC_URL: the console's origin
SHOP = "https://shop.example"  # a second site of the demo account
OTHER = "https://other.example"  # a site of another account
EVIL = "https://evil.example"  # nobody's


def embedded(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "fw_mode": "embedded",
        "data_dir": tmp_path,
        "public_url": BASE,
        "static_dir": ROOT / "clients",
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def gateway(settings: Settings, peer: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with chat and tracking, in process; requests come from `peer`."""
    settings = settings.model_copy(update={"public_url": BASE, "static_dir": ROOT / "clients"})
    bus = MemoryBus() if settings.redis_url is None else None
    services = {"chat": create_chat(settings, bus), "tracking": create_tracking(settings, bus)}
    app = create_gateway(settings, bus, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers={"user-agent": BROWSER_UA}) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in (p.strip() for p in policy.split(";"))}


async def test_pages_and_api_answers_carry_security_headers(tmp_path: Path) -> None:
    async with gateway(embedded(tmp_path, demo_seed=False)) as client:
        console = await client.get("/console/")
        assert console.status_code == 200 and 'type="module"' in console.text
        policy = csp(console)
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert policy["connect-src"] == "'self' ws://127.0.0.1:8000"  # its API and its socket, nothing else
        assert "data:" in policy["img-src"]  # the console's icon is a data: URL
        assert console.headers["referrer-policy"] == "no-referrer"

        shop = await client.get("/demo/")
        assert shop.status_code == 200
        [widget] = re.findall(r'<script src="([^"]+)"', shop.text)
        assert widget == "/widget.js"  # the same origin, which the shop's policy allows
        policy = csp(shop)
        assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
        assert "'unsafe-inline'" in policy["style-src"]  # the page's own and the widget's shadow-root styles
        assert "'unsafe-inline'" not in policy["script-src"]
        assert policy["connect-src"] == "'self' ws://127.0.0.1:8000"
        assert shop.headers["referrer-policy"] == "strict-origin-when-cross-origin"

        api = await client.get("/api/v1/sites")
        assert api.status_code == 401 and api.headers["content-type"] == "application/json"
        assert csp(api)["default-src"] == "'none'" and csp(api)["frame-ancestors"] == "'none'"
        script = await client.get("/widget.js")
        for answer in (console, shop, api, script):
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["x-frame-options"] == "DENY"
            assert "strict-transport-security" not in answer.headers  # plain HTTP

        forged = await client.get("/demo/", headers={"host": "x; script-src *"})
        assert csp(forged)["connect-src"] == "'self'" and csp(forged)["script-src"] == "'self'"


async def test_errors_carry_the_security_headers_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 500 used to be answered by Starlette's last-resort handler, outside every middleware: no headers."""
    async with gateway(embedded(tmp_path, demo_seed=False)) as client:

        async def broken() -> None:
            raise RuntimeError("a bug, with a secret detail")

        client.app.add_api_route("/broken", broken)  # type: ignore[attr-defined]
        answers = {
            "unhandled error": await client.get("/broken"),
            "no such page": await client.get("/nothing/here"),
            "no such API": await client.get("/api/v1/nothing"),
            "refused segment": await client.get("/api/v1/conversations/%2e%2e/messages"),
            "id of the wrong shape": await client.get("/api/v1/conversations/not-an-id"),
            "method of another route": await client.put("/api/v1/auth/login"),
            "proxied route, other method": await client.patch("/api/v1/conversations"),
            "not authenticated": await client.get("/api/v1/conversations"),
            "malformed body": await client.post("/api/v1/auth/login", content=b"{", headers=JSON),
            "invalid body": await client.post("/api/v1/auth/login", json={"email": 1}),
            "forged token": await client.get("/api/v1/reports/summary", headers=FORGED),
        }
    expected = {
        "unhandled error": 500,
        "no such page": 404,
        "no such API": 404,
        "refused segment": 404,
        "id of the wrong shape": 404,
        "method of another route": 405,
        "proxied route, other method": 405,
        "not authenticated": 401,
        "malformed body": 400,
        "invalid body": 422,
        "forged token": 401,
    }
    assert {name: answer.status_code for name, answer in answers.items()} == expected
    for name, answer in answers.items():
        assert answer.headers["content-type"] == "application/json", name
        assert csp(answer) == {"default-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'"}, name
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["referrer-policy"] == "no-referrer"
    assert answers["unhandled error"].json() == {
        "error": {"code": "internal_error", "message": "Something went wrong on our side."}
    }
    assert [r for r in caplog.records if r.getMessage() == "unhandled error on GET /broken" and r.exc_info]


JSON = {"content-type": "application/json"}
FORGED = {"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJhY2Nlc3MifQ.forged"}


@pytest.mark.parametrize(
    ("overrides", "peer", "forwarded", "expected"),
    [
        ({"public_url": "https://chat.example"}, "127.0.0.1", None, "max-age=31536000"),
        ({"public_url": "https://chat.example", "hsts_seconds": 0}, "127.0.0.1", None, None),
        ({"trusted_proxies": "10.0.0.0/8", "hsts_seconds": 600}, "10.1.2.3", "https", "max-age=600"),
        ({"trusted_proxies": "10.0.0.0/8"}, "10.1.2.3", "http", None),
        ({"trusted_proxies": "10.0.0.0/8"}, "192.0.2.1", "https", None),  # anyone can write the header
        ({}, "127.0.0.1", "https", None),
    ],
)
async def test_hsts_only_when_the_client_came_over_https(
    tmp_path: Path, overrides: dict[str, Any], peer: str, forwarded: str | None, expected: str | None
) -> None:
    app = create_gateway(embedded(tmp_path, demo_seed=False, **overrides), MemoryBus(), {})
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        headers = {"x-forwarded-proto": forwarded} if forwarded else {}
        answer = await client.get("/healthz", headers=headers)
    assert answer.status_code == 200
    assert answer.headers.get("strict-transport-security") == expected


@pytest.mark.parametrize(("peer", "secure"), [("10.1.2.3", True), ("192.0.2.1", False)])
async def test_the_demo_shop_behind_a_tls_proxy_has_no_plain_http_url(tmp_path: Path, peer: str, secure: bool) -> None:
    """Behind a proxy that terminates TLS the gateway is reached over plain HTTP: the shop's URLs are relative
    (a URL built from the request was `http://`, blocked in an `https://` page), and only a trusted proxy's
    `X-Forwarded-Proto` makes the socket source `wss:`."""
    settings = embedded(tmp_path, demo_seed=False, trusted_proxies="10.0.0.0/8")
    app = create_gateway(settings, MemoryBus(), {})
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    headers = {"host": "shop.example", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"}
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.example", headers=headers) as client:
        pages = [await client.get(path) for path in ("/demo/", "/demo/tv/", "/demo/tv/oled-55", "/demo/search?q=tv")]
        wrong_shape = await client.get("/demo/tv/x!y")
    for page in pages:
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text
        assert re.findall(r'<script src="([^"]+)"', page.text) == ["/widget.js"]
        assert csp(page)["connect-src"] == ("'self' wss://shop.example" if secure else "'self' ws://shop.example")
    assert wrong_shape.status_code == 404


async def add_site(client: httpx.AsyncClient, admin: dict[str, str], origin: str) -> str:
    created = await client.post("/api/v1/sites", json={"name": origin, "allowed_origins": [origin]}, headers=admin)
    assert created.status_code == 201, created.text
    return str(created.json()["site_key"])


async def other_account(client: httpx.AsyncClient) -> dict[str, str]:
    """A second company and its admin's headers."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as session:
        account = await accts.create_account(session, "Other company")
        await accts.add_user(session, account, "boss@other.example", "long-password", "Boss", "admin")
    tokens = await client.post("/api/v1/auth/login", json={"email": "boss@other.example", "password": "long-password"})
    return {"authorization": f"Bearer {tokens.json()['access_token']}"}


def allowed(response: httpx.Response) -> str | None:
    return response.headers.get("access-control-allow-origin")


async def preflight(client: httpx.AsyncClient, path: str, origin: str) -> httpx.Response:
    return await client.options(
        path,
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )


async def test_cors_lets_the_console_call_everything_and_a_site_only_its_visitors_calls(settings: Settings) -> None:
    async with gateway(settings.model_copy(update={"console_origins": "https://console.example"})) as client:
        admin = {"authorization": f"Bearer {(await login(client))['access_token']}"}
        shop_key = await add_site(client, admin, SHOP)
        await add_site(client, await other_account(client), OTHER)

        # A visitor of the shop, from the shop's pages: every answer readable there.
        opened = await client.post("/api/v1/widget/session", json={"site_key": shop_key}, headers={"origin": SHOP})
        assert opened.status_code == 200 and allowed(opened) == SHOP
        assert "Origin" in opened.headers["vary"]
        visitor = {"authorization": f"Bearer {opened.json()['visitor_token']}", "origin": SHOP}
        page = {"events": [{"type": "pageview", "page_id": "page-0001", "url": f"{SHOP}/tv"}]}
        tracked = await client.post("/api/v1/track/events", json=page, headers=visitor)
        assert tracked.status_code == 202 and allowed(tracked) == SHOP
        chat = await client.post("/api/v1/conversations", json={"text": "Hello"}, headers=visitor)
        assert chat.status_code == 201 and allowed(chat) == SHOP
        odd = {"events": [{"type": "pageview", "page_id": "page-0002", "url": "not a url"}]}
        refused = await client.post("/api/v1/track/events", json=odd, headers=visitor)
        assert refused.json()["rejected"] and allowed(refused) == SHOP  # the page can read why
        topics = await client.get("/api/v1/queues/availability", headers=visitor)
        assert topics.status_code == 200 and allowed(topics) == SHOP  # the widget's topic picker
        visitor_paths = ("/api/v1/widget/session", "/api/v1/track/events", "/api/v1/conversations")
        for path in (*visitor_paths, "/api/v1/queues/availability", "/api/v1/tickets"):
            ok = await preflight(client, path, SHOP)
            assert ok.status_code == 204 and allowed(ok) == SHOP, path
            assert "Authorization" in ok.headers["access-control-allow-headers"]
            assert "access-control-allow-credentials" not in ok.headers

        # The shop's origin is not the console's: the operators' API is not readable from it.
        sites = await client.get("/api/v1/sites", headers={**admin, "origin": SHOP})
        assert sites.status_code == 200 and allowed(sites) is None
        assert (await preflight(client, "/api/v1/sites", SHOP)).status_code == 403

        # Another account's site: its preflight passes (no token says which site it is for), the request does not.
        assert allowed(await preflight(client, "/api/v1/conversations", OTHER)) == OTHER
        foreign = await client.post("/api/v1/conversations", json={"text": "Hi"}, headers={**visitor, "origin": OTHER})
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "origin_not_allowed"
        assert allowed(foreign) is None
        stranger = await client.post("/api/v1/widget/session", json={"site_key": shop_key}, headers={"origin": OTHER})
        assert stranger.status_code == 403 and "visitor_token" not in stranger.json()
        assert allowed(stranger) == OTHER  # only why (see the test below)

        # Nobody's origin: nothing anywhere (but why the widget session is refused, below).
        for path in ("/api/v1/track/events", "/api/v1/sites", "/api/v1/auth/login"):
            refused = await preflight(client, path, EVIL)
            assert refused.status_code == 403 and allowed(refused) is None, path
        assert allowed(await client.get("/api/v1/sites", headers={**admin, "origin": EVIL})) is None

        # The console's origins: the whole API.
        for console in (BASE, "https://console.example"):
            listed = await client.get("/api/v1/sites", headers={**admin, "origin": console})
            assert listed.status_code == 200 and allowed(listed) == console
            assert allowed(await preflight(client, "/api/v1/users", console)) == console


async def test_any_origin_reads_why_it_gets_no_widget_session_and_nothing_else(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = {"authorization": f"Bearer {(await login(client))['access_token']}"}
        shop_key = await add_site(client, admin, SHOP)
        visitor_token = (
            await client.post("/api/v1/widget/session", json={"site_key": shop_key}, headers={"origin": SHOP})
        ).json()["visitor_token"]

        # A page the site does not allow may ask, and reads the refusal: no CORS error, the widget says why.
        asked = await preflight(client, "/api/v1/widget/session", EVIL)
        assert asked.status_code == 204 and allowed(asked) == EVIL
        assert asked.headers["access-control-allow-methods"] == "POST"
        assert asked.headers["access-control-allow-headers"] == "Content-Type"
        assert "access-control-allow-credentials" not in asked.headers and "Origin" in asked.headers["vary"]
        for key in (shop_key, SITE_KEY):
            refused = await client.post("/api/v1/widget/session", json={"site_key": key}, headers={"origin": EVIL})
            assert refused.status_code == 403 and allowed(refused) == EVIL
            assert refused.json()["error"]["code"] == "origin_not_allowed"
            assert "visitor_token" not in refused.json()  # no session
            assert "access-control-allow-credentials" not in refused.headers
        # ...and only that refusal: an unknown site, the rest of the API, a visitor's own calls stay unreadable.
        unknown = await client.post("/api/v1/widget/session", json={"site_key": "nope"}, headers={"origin": EVIL})
        assert unknown.status_code == 404 and allowed(unknown) is None
        for path in (
            "/api/v1/widget/identify",
            "/api/v1/widget/consent",
            "/api/v1/track/events",
            "/api/v1/conversations",
            "/api/v1/sites",
            "/api/v1/auth/login",
            "/api/v1/widget/session/",
        ):
            refused = await preflight(client, path, EVIL)
            assert refused.status_code == 403 and allowed(refused) is None, path
        visitor = {"authorization": f"Bearer {visitor_token}", "origin": EVIL}
        page = {"events": [{"type": "pageview", "page_id": "page-0001", "url": f"{SHOP}/tv"}]}
        assert allowed(await client.post("/api/v1/track/events", json=page, headers=visitor)) is None
        assert allowed(await client.post("/api/v1/conversations", json={"text": "Hi"}, headers=visitor)) is None
        assert allowed(await client.get("/api/v1/sites", headers={**admin, "origin": EVIL})) is None
        login_from_evil = await client.post(
            "/api/v1/auth/login", json={"email": "x@example.com", "password": "wrong"}, headers={"origin": EVIL}
        )
        assert allowed(login_from_evil) is None
        # The shop's own pages still get their session, readable there only.
        own = await client.post("/api/v1/widget/session", json={"site_key": shop_key}, headers={"origin": SHOP})
        assert own.status_code == 200 and allowed(own) == SHOP


async def test_metrics_are_served_on_their_own_port_and_not_on_the_public_one(tmp_path: Path) -> None:
    async with gateway(embedded(tmp_path)) as client:
        assert (await client.get("/healthz")).status_code == 200
        public = await client.get("/metrics")
        assert public.status_code == 404
    chat = create_chat(embedded(tmp_path), MemoryBus())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=chat), base_url="http://chat") as direct:
        assert (await direct.get("/metrics")).status_code == 404

    port = free_port()
    server = serve_metrics("127.0.0.1", port)
    try:
        async with httpx.AsyncClient() as scraper:
            text = (await scraper.get(f"http://127.0.0.1:{port}/metrics")).text
    finally:
        server.shutdown()
        server.server_close()
    counted = [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "fw_http_requests_total"
    ]
    assert any(s.labels == {"service": "gateway", "method": "GET", "status": "404"} for s in counted)


def test_the_metrics_port_is_the_service_port_plus_1000_unless_set() -> None:
    assert metrics_port(Settings(), 8000) == 9000
    assert metrics_port(Settings(metrics_port=9100), 8000) == 9100
    assert metrics_port(Settings(metrics_port=0), 8000) is None
    with pytest.raises(ValueError, match="METRICS_PORT"):
        metrics_port(Settings(), 65000)


async def test_the_api_docs_load_swagger_ui_from_the_gateway_only(tmp_path: Path) -> None:
    async with gateway(embedded(tmp_path, demo_seed=False)) as client:
        page = await client.get("/api/docs")
        assert page.status_code == 200 and "SwaggerUIBundle" in page.text
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and all(u.startswith("/api/docs/assets/") for u in urls), urls
        for url in urls:
            asset = await client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 500, url
        assert (
            (await client.get("/api/docs/assets/swagger-ui-bundle.js"))
            .headers["content-type"]
            .startswith("text/javascript")
        )
        assert (await client.get("/api/docs/assets/index.html")).status_code == 404
        assert (await client.get("/api/docs/assets/..%2F..%2F__init__.py")).status_code == 404
        [inline] = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert csp(page)["script-src"] == f"'self' 'sha256-{digest}'"  # that script and the bundle, nothing else
        assert csp(page)["frame-ancestors"] == "'none'"
