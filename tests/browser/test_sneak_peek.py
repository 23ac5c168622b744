"""CHAT-4 and EMB-8 in Debian's Chromium: the operator sees in the console what the visitor types in the widget
before it is sent (sneak-peek), the visitor sees the operator typing, and each side sees its messages read."""

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.test_widget_to_console import CHROMIUM_ARGS, browser, pytestmark, shop
from tests.helpers import BROWSER_UA

__all__ = ["CHROMIUM_ARGS", "browser", "pytestmark", "shop"]


async def test_operator_sees_the_visitor_typing_and_each_side_sees_its_messages_read(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill("Hello, a question about delivery")
    await visitor.locator('[data-fw="send"]').click()
    mine = visitor.locator('[data-fw="message"][data-sender="visitor"]')
    await expect(mine.locator('[data-fw="mark"]')).to_have_attribute("title", "Delivered", timeout=10_000)

    console = await (await browser.new_context()).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()

    # the operator has the chat in front of them: the widget shows the visitor's message read
    await expect(mine.locator('[data-fw="mark"]')).to_have_text("✓✓", timeout=10_000)
    await expect(mine.locator('[data-fw="mark"]')).to_have_attribute("title", "Read")

    # sneak-peek: what the visitor types shows in the console as they type, and goes when it is sent
    await visitor.locator('[data-fw="input"]').press_sequentially("Do you ship to <b>Porto</b>?", delay=40)
    peek = console.locator('[data-fw="visitor-typing"] [data-fw="sneak-peek"]')
    await expect(peek).to_have_text("Do you ship to <b>Porto</b>?", timeout=5_000)
    assert await console.locator('[data-fw="visitor-typing"] b').count() == 0  # text, never markup
    await console.screenshot(path=str(tmp_path / "console-sneak-peek.png"))
    await visitor.locator('[data-fw="send"]').click()
    await expect(console.locator('[data-fw="message"][data-sender="visitor"]').last).to_contain_text("Porto")
    await expect(console.locator('[data-fw="visitor-typing"]')).to_have_count(0, timeout=5_000)

    # the operator types: the widget says so; their message, seen in the open widget, is marked read in the console
    await console.locator('[data-fw="chat-input"]').press_sequentially("Yes, we", delay=20)
    await expect(visitor.locator('[data-fw="typing"]')).to_have_text("Olga Souza is typing…", timeout=5_000)
    await console.locator('[data-fw="chat-input"]').press_sequentially(" do!")
    await console.locator('[data-fw="chat-send"]').click()
    await expect(visitor.locator('[data-fw="message"][data-sender="operator"]')).to_contain_text("Yes, we do!")
    await expect(visitor.locator('[data-fw="typing"]')).to_be_hidden()
    tick = console.locator('[data-fw="message"][data-sender="operator"] [data-fw="read-mark"]')
    await expect(tick).to_have_attribute("title", "Read", timeout=10_000)
    await visitor.screenshot(path=str(tmp_path / "widget-read.png"))

    # a reload of the page: the marks come back with the conversation
    await visitor.reload()
    await expect(visitor.locator('[data-fw="message"][data-sender="visitor"] [data-fw="mark"]')).to_have_text(
        ["✓✓", "✓✓"], timeout=10_000
    )
