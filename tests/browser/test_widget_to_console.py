"""A person's view, in Debian's Chromium: demo shop -> widget -> console -> reply back in the widget."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.helpers import BROWSER_UA, free_port, start_embedded

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = start_embedded(tmp_path, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(15)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        instance = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


async def test_visitor_and_operator_talk_through_widget_and_console(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    # Headless Chromium says so in its user agent and would be taken for a robot (no chat): a person's browser.
    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    host_heading_color = await visitor.eval_on_selector("h1", "e => getComputedStyle(e).color")
    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill("Hi, is the Laptop Pro in stock?")
    await visitor.locator('[data-fw="send"]').click()
    await expect(visitor.locator('[data-fw="message"][data-sender="visitor"]')).to_have_count(1, timeout=10_000)
    assert await visitor.eval_on_selector("h1", "e => getComputedStyle(e).color") == host_heading_color

    console = await (await browser.new_context()).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await expect(console.locator('[data-fw="live-visitors"] [data-fw="visitor-row"]')).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()
    await expect(console.locator('[data-fw="message"][data-sender="visitor"]')).to_contain_text("Laptop Pro in stock")
    await console.locator('[data-fw="chat-input"]').fill("Yes! We have three. <b>Shall I reserve one?</b>")
    await console.locator('[data-fw="chat-send"]').click()

    reply = visitor.locator('[data-fw="message"][data-sender="operator"]')
    await expect(reply).to_contain_text("<b>Shall I reserve one?</b>", timeout=10_000)
    await console.screenshot(path=str(tmp_path / "console.png"))
    await visitor.screenshot(path=str(tmp_path / "widget.png"))

    # Navigation and reload: the same conversation continues, nothing is lost or doubled.
    await visitor.goto(f"{shop}/demo/informatica/laptop-pro-14")
    messages = visitor.locator('[data-fw="message"]')
    await expect(messages).to_have_count(2, timeout=10_000)
    await visitor.locator('[data-fw="input"]').fill("Please do.")
    await visitor.locator('[data-fw="send"]').click()
    await expect(console.locator('[data-fw="message"][data-sender="visitor"]').last).to_contain_text(
        "Please do.", timeout=10_000
    )
    await visitor.reload()
    await expect(visitor.locator('[data-fw="message"]')).to_have_count(3, timeout=10_000)
