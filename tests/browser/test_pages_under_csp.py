"""The pages work under their security headers, in Debian's Chromium with no network beyond the gateway:
the API docs show their operations, the demo shop shows and opens the widget, the console logs in; not one
request leaves the gateway's origin and no Content-Security-Policy violation is reported. The public port
has no /metrics; the metrics port has them."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Route, expect

from tests.browser.test_widget_to_console import browser  # noqa: F401  (fixture)
from tests.helpers import BROWSER_UA, free_port, start_embedded

pytestmark = pytest.mark.browser


@dataclass
class Server:
    base: str
    metrics: str


@dataclass
class Watch:
    """What a page did that it should not: requests elsewhere, CSP violations, script errors."""

    elsewhere: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port, metrics = free_port(), free_port()
    process = start_embedded(tmp_path, port, METRICS_PORT=str(metrics))
    try:
        yield Server(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics}")
    finally:
        process.terminate()
        process.wait(15)


@asynccontextmanager
async def offline(chromium: Browser, base: str, watch: Watch, **options: str) -> AsyncIterator[BrowserContext]:
    """A context that reaches only the gateway: anything else is aborted (and noted)."""
    context = await chromium.new_context(**options)  # type: ignore[arg-type]

    async def only_the_gateway(route: Route, request: Request) -> None:
        if request.url.startswith(base) or request.url.startswith(base.replace("http", "ws", 1)):
            await route.continue_()
        else:
            watch.elsewhere.append(request.url)
            await route.abort()

    await context.route("**/*", only_the_gateway)
    yield context
    await context.close()


def watched(page: Page, watch: Watch) -> Page:
    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            watch.violations.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.violations.append(f"page error: {error}"))
    return page


async def test_docs_demo_and_console_work_offline_under_their_policies(
    server: Server,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, watch = server.base, Watch()
    async with offline(browser, base, watch, user_agent=BROWSER_UA) as context:
        docs = watched(await context.new_page(), watch)
        await docs.goto(f"{base}/api/docs")
        operations = docs.locator(".opblock")
        await expect(operations.first).to_be_visible(timeout=15_000)
        assert await operations.count() > 10
        session = docs.locator(".opblock-summary-path", has_text="/api/v1/widget/session").first
        await session.click()  # its description, parameters, schemas and example answers render too
        await expect(docs.locator(".opblock-body").first).to_be_visible()
        await docs.locator(".try-out__btn").first.click()
        await docs.locator(".execute").first.click()  # "Try it out" calls the gateway
        await expect(docs.locator(".live-responses-table").first).to_contain_text("unknown_site")
        await docs.screenshot(path=str(tmp_path / "docs.png"))

        shop = watched(await context.new_page(), watch)
        await shop.goto(f"{base}/demo/")
        await shop.locator('[data-fw="launcher"]').click()
        await shop.locator('[data-fw="input"]').fill("Is the shop open?")
        await shop.locator('[data-fw="send"]').click()
        await expect(shop.locator('[data-fw="message"][data-sender="visitor"]')).to_have_count(1, timeout=10_000)

        console = watched(await context.new_page(), watch)
        await console.goto(f"{base}/console/")
        await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
        await console.locator('[data-fw="login-password"]').fill("floorwalker")
        await console.locator('[data-fw="login-submit"]').click()
        waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
        await expect(waiting).to_have_count(1, timeout=10_000)  # over the API and the socket
        await console.screenshot(path=str(tmp_path / "console.png"))
    assert watch.elsewhere == []
    assert watch.violations == []

    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/metrics")).status_code == 404
        scraped = await client.get(f"{server.metrics}/metrics")
    assert scraped.status_code == 200 and 'service="gateway"' in scraped.text
