"""EMB-2 in Debian's Chromium: the widget survives a hostile host page served from another origin than the
gateway: CSS that hides every div, shrinks and blanks all text and hides buttons (all `!important`), a strict
Content-Security-Policy without `'unsafe-inline'`, a 360x640 viewport and a page wider than it. The launcher is
visible inside the viewport, the chat opens and fits, a message goes out and the operator's reply comes back,
with no console error, no page error and no CSP violation. From an origin the site does not allow, the widget
stays hidden and says why in exactly one console warning, having read the gateway's refusal (no CORS error)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from tests.browser.test_widget_to_console import browser, shop  # noqa: F401  (fixtures)
from tests.helpers import BROWSER_UA, free_port
from tests.services.gateway_harness import OLGA, login

pytestmark = pytest.mark.browser

HOSTILE_CSS = """
div { display: none !important; }
* { font-size: 3px !important; color: transparent !important; line-height: 0 !important; }
button { visibility: hidden !important; }
section, ol, li, textarea, form, header, span { display: none !important; }
body > * { opacity: 0 !important; transform: scale(0) !important; }
#floorwalker-widget, floorwalker-widget { display: none !important; position: absolute !important; left: -9999px !important; }
.wide { width: 2000px; height: 20px; background: #ccc; }
"""
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hostile shop</title><link rel="stylesheet" href="/hostile.css"></head>
<body><h1>Hostile shop</h1><div class="wide">wider than the phone</div><button>Buy</button>
<script src="{gateway}/widget.js" data-site="{site_key}" async></script></body></html>"""


class HostilePage:
    """A page with the embed snippet on its own origin (a local HTTP server on a free port)."""

    def __init__(self, gateway: str, site_key: str) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        page = PAGE.replace("{gateway}", gateway).replace("{site_key}", site_key).encode()
        ws = gateway.replace("http", "ws", 1)
        policy = (
            f"default-src 'none'; script-src {gateway}; style-src 'self' {gateway}; "
            f"connect-src {gateway} {ws}; img-src {gateway} data:; font-src {gateway}"
        )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, kind = (HOSTILE_CSS.encode(), "text/css") if self.path == "/hostile.css" else (page, "text/html")
                if self.path not in ("/", "/hostile.css"):
                    body, kind = b"", "text/plain"
                self.send_response(200 if body else 204)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def demo_site(shop: str) -> tuple[dict[str, Any], dict[str, str]]:  # noqa: F811
    async with httpx.AsyncClient(base_url=shop, timeout=10) as client:
        admin = await login(client)
        headers = {"authorization": f"Bearer {admin['access_token']}"}
        [site] = (await client.get("/api/v1/sites", headers=headers)).json()["sites"]
    return site, headers


def watch(page: Page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"errors": [], "warnings": [], "violations": []}

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen["errors"].append(message.text)
        elif message.type == "warning":
            seen["warnings"].append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen["errors"].append(f"page error: {error}"))
    return seen


REFUSED_BY_STATUS = "Failed to load resource: the server responded with a status of 403 (Forbidden)"

VIOLATIONS = """() => { window.__violations = [];
  document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI), true); }"""


async def test_widget_chats_through_a_hostile_page_on_another_origin(shop: str, browser: Browser) -> None:  # noqa: F811
    site, headers = await demo_site(shop)
    host = HostilePage(shop, site["site_key"])
    try:
        async with httpx.AsyncClient(base_url=shop, timeout=10) as client:
            added = await client.post(
                f"/api/v1/sites/{site['id']}/origins", json={"origin": host.origin}, headers=headers
            )
            assert added.status_code == 201, added.text
        context = await browser.new_context(user_agent=BROWSER_UA, viewport={"width": 360, "height": 640})
        await context.add_init_script(script=f"({VIOLATIONS})()")
        page = await context.new_page()
        seen = watch(page)
        await page.goto(host.origin + "/")
        assert (
            await page.eval_on_selector("h1", "e => getComputedStyle(e).color") == "rgba(0, 0, 0, 0)"
        )  # hostile CSS on

        launcher = page.locator('[data-fw="launcher"]')
        await expect(launcher).to_be_visible(timeout=10_000)
        box = await launcher.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 360 and box["y"] + box["height"] <= 640, (
            box
        )
        assert box["height"] >= 30  # not shrunk to 3 px text
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        hit = await page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.localName", list(centre))
        assert hit == "floorwalker-widget"  # the launcher itself is on top there, not the page
        assert await launcher.evaluate("e => getComputedStyle(e).fontSize") != "3px"

        await launcher.click()
        panel = page.locator('[data-fw="panel"]')
        await expect(panel).to_be_visible(timeout=10_000)
        panel_box = await panel.bounding_box()
        assert panel_box is not None
        assert panel_box["x"] >= 0 and panel_box["x"] + panel_box["width"] <= 360, panel_box
        assert panel_box["y"] >= 0 and panel_box["y"] + panel_box["height"] <= 640, panel_box
        await page.locator('[data-fw="input"]').fill("Can you see me on this page?")
        await page.locator('[data-fw="send"]').click()
        await expect(page.locator('[data-fw="message"][data-sender="visitor"]')).to_have_count(1, timeout=10_000)

        async with httpx.AsyncClient(base_url=shop, timeout=10) as client:
            olga = {"authorization": f"Bearer {(await login(client, OLGA))['access_token']}"}
            [waiting] = (await client.get("/api/v1/conversations?state=waiting", headers=olga)).json()["conversations"]
            assert (await client.post(f"/api/v1/conversations/{waiting['id']}/accept", headers=olga)).status_code == 200
            sent = await client.post(
                f"/api/v1/conversations/{waiting['id']}/messages",
                json={"text": "Loud and clear.", "client_msg_id": "op-1"},
                headers=olga,
            )
            assert sent.status_code in (200, 201), sent.text
        reply = page.locator('[data-fw="message"][data-sender="operator"]')
        await expect(reply).to_contain_text("Loud and clear.", timeout=10_000)
        assert await reply.locator('[data-fw="text"]').evaluate("e => getComputedStyle(e).color") != "rgba(0, 0, 0, 0)"

        assert seen["errors"] == [], seen["errors"]
        assert seen["warnings"] == [], seen["warnings"]
        assert await page.evaluate("window.__violations") == []
        await context.close()
    finally:
        host.close()


async def test_a_refused_origin_gets_one_clear_warning_and_no_widget(shop: str, browser: Browser) -> None:  # noqa: F811
    site, _ = await demo_site(shop)
    host = HostilePage(shop, site["site_key"])  # its origin is not among the site's allowed origins
    try:
        context = await browser.new_context(user_agent=BROWSER_UA, viewport={"width": 360, "height": 640})
        page = await context.new_page()
        seen = watch(page)
        await page.goto(host.origin + "/")
        for _ in range(100):
            if seen["warnings"]:
                break
            await page.wait_for_timeout(100)
        await page.wait_for_timeout(1000)  # nothing more follows
        assert len(seen["warnings"]) == 1, seen["warnings"]
        assert seen["warnings"][0].startswith("Floorwalker: the chat widget is not shown")
        assert host.origin in seen["warnings"][0] and site["site_key"] in seen["warnings"][0]
        assert "Add it to the site's allowed origins" in seen["warnings"][0]  # the refusal was read, not guessed
        # No CORS error: the page read the gateway's answer. Chromium itself logs any answer of status >= 400 as
        # "Failed to load resource", which no header can prevent: that one line, and nothing else.
        assert seen["errors"] == [REFUSED_BY_STATUS], seen["errors"]
        assert await page.locator('[data-fw="launcher"]').count() == 0
        await context.close()
    finally:
        host.close()
