"""CHAT-6 in Debian's Chromium: Olga takes a visitor's chat and transfers it to Ivan with a note; Ivan's console
shows it with the note, the visitor is told, and Ivan's reply reaches the visitor."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

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


async def operator_console(browser: Browser, shop: str, email: str) -> Page:
    """A console logged in as `email`, online."""
    console = await (await browser.new_context()).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill(email)
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    await expect(console.locator('[data-fw="connection"]')).to_have_attribute("data-status", "open", timeout=10_000)
    status = console.locator('[data-fw="presence-select"]')
    await expect(status).to_be_enabled(timeout=10_000)
    await status.select_option("online")
    await expect(console.locator('[data-fw="presence"]')).to_have_attribute("data-status", "online")
    return console


async def test_an_operator_transfers_a_chat_to_a_colleague_with_a_note(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    olga = await operator_console(browser, shop, "olga@demo.example")

    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill("I need three laptops for my office.")
    await visitor.locator('[data-fw="send"]').click()

    waiting = olga.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await olga.locator('[data-fw="accept"]').click()
    chat = olga.locator('[data-fw="chat"]')
    await expect(chat).to_have_attribute("data-state", "active", timeout=10_000)

    # Ivan comes online after Olga took the chat: Olga's console learns of him from his presence.
    ivan = await operator_console(browser, shop, "ivan@demo.example")
    await olga.locator('[data-fw="chat-transfer"]').click()
    target = olga.locator('[data-fw="team-target"]')
    ivan_option = target.locator("option", has_text="Ivan Petrov")
    await expect(ivan_option).to_have_count(1, timeout=10_000)
    await target.select_option(await ivan_option.get_attribute("value"))
    await olga.locator('[data-fw="team-note"]').fill("Bulk order: offer the office discount")
    await olga.locator('[data-fw="team-submit"]').click()
    await expect(olga.locator('[data-fw="active-list"] [data-fw="conversation-item"]')).to_have_count(0, timeout=10_000)

    # Ivan has it, with Olga's note, and writes to the visitor.
    mine = ivan.locator('[data-fw="active-list"] [data-fw="conversation-item"]')
    await expect(mine).to_have_count(1, timeout=10_000)
    await mine.first.click()
    note = ivan.locator('[data-fw="handover-note"]')
    await expect(note).to_contain_text("transferred this chat to you", timeout=10_000)
    await expect(note).to_contain_text("Bulk order: offer the office discount")
    await expect(ivan.locator('[data-fw="message"][data-sender="visitor"]')).to_contain_text("three laptops")
    await ivan.locator('[data-fw="chat-input"]').fill("Hello, Ivan here: I can help with a bulk order.")
    await ivan.locator('[data-fw="chat-send"]').click()

    # The visitor is told, never sees the note, and gets Ivan's reply in the same conversation.
    await expect(visitor.locator('[data-fw="message"][data-sender="operator"]').last).to_contain_text(
        "Ivan here", timeout=10_000
    )
    await expect(visitor.locator('[data-fw="message"][data-sender="system"]')).to_contain_text(
        "You are being connected to Ivan Petrov"
    )
    seen = await visitor.locator('[data-fw="message"]').all_inner_texts()  # CSS pierces the widget's shadow root
    assert len(seen) >= 3 and not any("office discount" in text for text in seen), seen
    await ivan.screenshot(path=str(tmp_path / "ivan.png"))
