"""ENG-2 in Debian's Chromium: an operator calls a visitor of the demo shop who never opened the chat; the
invitation shows on the visitor's screen within a second; accepting it opens a conversation the operator sees."""

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.browser.test_widget_to_console import CHROMIUM_ARGS
from tests.helpers import BROWSER_UA, free_port, start_embedded

pytestmark = pytest.mark.browser


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


async def test_an_operators_call_reaches_a_visitor_who_never_opened_the_chat_within_a_second(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    host_layout = await visitor.eval_on_selector("h1", "e => JSON.stringify(e.getBoundingClientRect())")
    await expect(visitor.locator('[data-fw="launcher"]')).to_be_visible()

    console = await (await browser.new_context()).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    row = console.locator('[data-fw="live-visitors"] [data-fw="visitor-row"]')
    await expect(row).to_have_count(1, timeout=10_000)
    await row.first.click()
    await console.locator('[data-fw="call-text"]').fill("Looking for a laptop? I can help you choose.")

    bubble = visitor.locator('[data-fw="invitation"]')
    assert not await bubble.is_visible()
    assert await visitor.locator('script[src$="/widget-chat.js"]').count() == 0  # the chat UI never loaded
    started = time.monotonic()
    await console.locator('[data-fw="invite-visitor"]').click()
    await expect(bubble).to_be_visible(timeout=1_000)
    took = time.monotonic() - started
    assert took < 1.0, f"the invitation took {took:.2f} s"
    await expect(visitor.locator('[data-fw="invitation-name"]')).to_have_text("Olga Souza")
    await expect(visitor.locator('[data-fw="invitation-avatar"]')).to_have_text("OS")  # no photo: initials
    await expect(visitor.locator('[data-fw="invitation-text"]')).to_have_text(
        "Looking for a laptop? I can help you choose."
    )
    await expect(console.locator('[data-fw="invitation-state"]')).to_have_attribute("data-state", "shown")
    assert await visitor.eval_on_selector("h1", "e => JSON.stringify(e.getBoundingClientRect())") == host_layout
    await visitor.screenshot(path=str(tmp_path / "invitation.png"))

    await visitor.locator('[data-fw="invitation-accept"]').click()
    operator_message = visitor.locator('[data-fw="message"][data-sender="operator"]')
    await expect(operator_message).to_contain_text("Looking for a laptop?", timeout=10_000)
    await expect(bubble).to_be_hidden()

    # The operator's console opens the conversation the visitor accepted: theirs, active.
    chat = console.locator('[data-fw="chat"]')
    await expect(chat).to_have_attribute("data-state", "active", timeout=10_000)
    await expect(chat.locator('[data-fw="message"][data-sender="operator"]')).to_contain_text("Looking for a laptop?")
    await visitor.locator('[data-fw="input"]').fill("Yes, something light for travelling.")
    await visitor.locator('[data-fw="send"]').click()
    await expect(chat.locator('[data-fw="message"][data-sender="visitor"]')).to_contain_text(
        "light for travelling", timeout=10_000
    )
    # Following the visitor: the chat's visitor panel shows where they are, and moves with them.
    panel = console.locator('[data-fw="visitor-panel"]')
    await console.locator('[data-fw="panel-close"]').click()  # the panel the call was made from
    await expect(panel).to_have_count(0)
    await console.locator('[data-fw="chat-visitor"]').click()
    await expect(panel.locator('[data-fw="visit-timeline"] [data-fw="timeline-page"]')).to_have_count(1, timeout=10_000)
    await visitor.goto(f"{shop}/demo/informatica/laptop-pro-14")
    await expect(panel.locator('[data-fw="visit-timeline"] [data-fw="timeline-page"]')).to_have_count(2, timeout=10_000)
    await console.screenshot(path=str(tmp_path / "console.png"))
