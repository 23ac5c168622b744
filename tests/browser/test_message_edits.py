"""CHAT-5 in Debian's Chromium: the operator edits, then deletes, a message; the widget shows each change at once."""

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.test_widget_to_console import CHROMIUM_ARGS, browser, pytestmark, shop
from tests.helpers import BROWSER_UA

__all__ = ["CHROMIUM_ARGS", "browser", "pytestmark", "shop"]


async def test_operator_edits_and_deletes_a_message_and_the_widget_updates_at_once(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill("How much is the Laptop Pro?")
    await visitor.locator('[data-fw="send"]').click()

    console = await (await browser.new_context()).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()
    await console.locator('[data-fw="chat-input"]').fill("It is 1999 EUR")
    await console.locator('[data-fw="chat-send"]').click()
    reply = visitor.locator('[data-fw="message"][data-sender="operator"]')
    await expect(reply.locator('[data-fw="text"]')).to_have_text("It is 1999 EUR", timeout=10_000)

    mine = console.locator('[data-fw="message"][data-sender="operator"]')
    await mine.locator('[data-fw="message-edit-open"]').click()
    await console.locator('[data-fw="message-edit-input"]').fill("It is 999 EUR")
    await console.locator('[data-fw="message-edit-save"]').click()
    await expect(reply.locator('[data-fw="text"]')).to_have_text("It is 999 EUR", timeout=5_000)
    await expect(reply.locator('[data-fw="edited"]')).to_have_count(1)

    # the visitor quotes it; the console shows the quote
    await reply.locator('[data-fw="reply"]').click()
    await visitor.locator('[data-fw="input"]').fill("OK, I take it")
    await visitor.locator('[data-fw="send"]').click()
    quote = console.locator('[data-fw="message"][data-sender="visitor"] [data-fw="quote"]')
    await expect(quote).to_contain_text("It is 999 EUR", timeout=10_000)

    console.on("dialog", lambda dialog: dialog.accept())
    await mine.locator('[data-fw="message-delete"]').click()
    await expect(reply.locator('[data-fw="text"]')).to_have_text("message deleted", timeout=5_000)
    await expect(mine.locator(".text")).to_have_text("message deleted")
    await visitor.screenshot(path=str(tmp_path / "widget.png"))
    # a reload of the page fetches it again: its text is gone
    await visitor.reload()
    await expect(visitor.locator('[data-fw="message"][data-sender="operator"] [data-fw="text"]')).to_have_text(
        "message deleted", timeout=10_000
    )
    assert "999" not in await visitor.locator('[data-fw="messages"]').inner_text()
