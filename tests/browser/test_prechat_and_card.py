"""EMB-5, CHAT-8, OPS-5 in Debian's Chromium: the admin sets the demo shop's pre-chat form in the console; a
visitor fills it and chats; the same person comes back from another browser, and the operator sees the customer
card with the earlier conversation (opened to read), and adds an internal note the visitor never sees."""

from playwright.async_api import Browser, Page, expect

from tests.browser.test_widget_to_console import CHROMIUM_ARGS, browser, pytestmark, shop
from tests.helpers import BROWSER_UA

__all__ = ["CHROMIUM_ARGS", "browser", "pytestmark", "shop"]
NOTE = "VIP customer: never offer store credit"
NAME = "Ana <img src=x onerror=alert(1)> Souza"


async def log_in(browser: Browser, shop: str, email: str) -> Page:
    console = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill(email)
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    return console


async def visitor_chats(browser: Browser, shop: str, name: str, text: str) -> Page:
    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    await visitor.locator('[data-fw="launcher"]').click()
    form = visitor.locator('[data-fw="prechat"]')
    await expect(form).to_be_visible(timeout=10_000)
    await expect(visitor.locator('[data-fw="composer"]')).to_be_hidden()
    await visitor.locator('[data-fw="prechat-send"]').click()  # the email is required
    await expect(visitor.locator('[data-fw="prechat-error"]')).to_be_visible()
    await visitor.locator('[data-fw="prechat-name"]').fill(name)
    await visitor.locator('[data-fw="prechat-email"]').fill("Ana@Example.com")
    await visitor.locator('[data-fw="prechat-question"]').fill("Order 1234")
    await visitor.locator('[data-fw="prechat-send"]').click()
    await expect(form).to_be_hidden(timeout=10_000)
    await visitor.locator('[data-fw="input"]').fill(text)
    await visitor.locator('[data-fw="send"]').click()
    await expect(visitor.locator('[data-fw="message"][data-sender="visitor"]')).to_have_count(1, timeout=10_000)
    return visitor


async def test_a_returning_customer_fills_the_pre_chat_form_and_the_operator_sees_the_card_and_notes(
    shop: str, browser: Browser
) -> None:
    admin = await log_in(browser, shop, "admin@demo.example")
    await admin.locator('[data-fw="tab-sites"]').click()
    editor = admin.locator('[data-fw="prechat-editor"]')
    await expect(editor).to_be_visible(timeout=10_000)
    await editor.locator('[data-fw="prechat-mode-name"]').select_option("optional")
    await editor.locator('[data-fw="prechat-mode-email"]').select_option("required")
    await editor.locator('[data-fw="prechat-mode-question"]').select_option("optional")
    await editor.locator('[data-fw="prechat-question-label"]').fill("Your order number?")
    await editor.locator('[data-fw="prechat-save"]').click()
    await expect(editor.locator('[data-fw="prechat-note"]')).to_contain_text("Saved", timeout=10_000)

    # the first chat, answered and closed
    first = await visitor_chats(browser, shop, "Ana", "My parcel never arrived")
    console = await log_in(browser, shop, "olga@demo.example")
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()
    await expect(console.locator('[data-fw="card-email"]')).to_have_text("ana@example.com", timeout=10_000)
    await console.locator('[data-fw="close-conversation"]').click()
    await expect(console.locator('[data-fw="chat"]')).to_have_attribute("data-state", "closed", timeout=10_000)
    await first.context.close()

    # the same person from another browser: the card shows the earlier chat
    visitor = await visitor_chats(browser, shop, NAME, "Any news about my parcel?")
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()
    card = console.locator('[data-fw="customer-card"]')
    await expect(card.locator('[data-fw="card-name"]')).to_have_text(NAME, timeout=10_000)  # text, not HTML
    assert await card.locator("img").count() == 0
    await expect(card.locator('[data-fw="card-prechat"]')).to_contain_text("Order 1234")
    earlier = card.locator('[data-fw="card-earlier-chat"]')
    await expect(earlier).to_have_count(1)
    await expect(earlier).to_contain_text("My parcel never arrived")
    await earlier.click()
    await expect(card.locator('[data-fw="transcript-message"]')).to_contain_text("My parcel never arrived")

    # an internal note: the operators see it; the visitor's widget never shows it
    notes = console.locator('[data-fw="notes-panel"]')
    await notes.locator("summary").click()
    await notes.locator('[data-fw="note-input"]').fill(NOTE)
    await notes.locator('[data-fw="note-add"]').click()
    await expect(notes.locator('[data-fw="note"]')).to_contain_text(NOTE, timeout=10_000)
    await console.locator('[data-fw="chat-input"]').fill("Let me check the courier")
    await console.locator('[data-fw="chat-send"]').click()
    reply = visitor.locator('[data-fw="message"][data-sender="operator"]')
    await expect(reply).to_contain_text("Let me check the courier", timeout=10_000)
    assert NOTE not in await visitor.locator('[data-fw="panel"]').inner_text()
    await visitor.reload()
    await expect(visitor.locator('[data-fw="message"]')).to_have_count(2, timeout=10_000)
    assert NOTE not in await visitor.locator('[data-fw="panel"]').inner_text()

    # the open chat is in the console's address: reloaded (or opened from a shared link), it is open again
    assert "#/live/" in console.url, console.url
    await console.reload()
    await expect(console.locator('[data-fw="message"][data-sender="operator"]')).to_contain_text(
        "Let me check the courier", timeout=10_000
    )

    # the history of closed chats finds the first one by its text, and opens it to read
    await console.locator('[data-fw="tab-history"]').click()
    assert console.url.endswith("#/history"), console.url
    await console.locator('[data-fw="history-text"]').fill("never ARRIVED")
    await console.locator('[data-fw="history-go"]').click()
    found = console.locator('[data-fw="history-result"]')
    await expect(found).to_have_count(1, timeout=10_000)
    await found.click()
    await expect(console.locator('[data-fw="history"] [data-fw="transcript-message"]')).to_contain_text(
        "My parcel never arrived"
    )
