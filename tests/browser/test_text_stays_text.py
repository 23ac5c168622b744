"""SEC-5 in Debian's Chromium: HTML and script payloads sent through every field a visitor, a site or an operator
controls (visitor name and attributes from the page's identify/set, the page's URL in the path timeline, message
text both ways, the operator's display name, a canned response's text, the emailed transcript) are shown as text
in the console and the widget, and arrive as text in the email: nothing runs (`window.__pwned` stays undefined,
no dialog opens)."""

from email.message import EmailMessage

import httpx
from playwright.async_api import Browser, Dialog, Page, expect

from tests.browser.test_offline_ticket import Inbox, mail, shop
from tests.browser.test_operator_call import browser  # noqa: F401 (the fixture)
from tests.helpers import BROWSER_UA, eventually

__all__ = ["mail", "shop"]
IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
SVG = '"><svg onload=window.__pwned=1>'
JS_URL = "javascript:window.__pwned=1"
NAME = f"Eve {IMG}"


def watch(page: Page, dialogs: list[str]) -> None:
    async def opened(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", opened)


async def pwned(page: Page) -> object:
    return await page.evaluate("() => window.__pwned")


def body_text(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    markup = message.get_body(preferencelist=("html",))
    return (plain.get_content() if plain else ""), (markup.get_content() if markup else "")


async def test_payloads_in_every_field_stay_text_in_console_widget_and_email(
    shop: str,
    browser: Browser,  # noqa: F811 (the fixture)
    mail: tuple[Inbox, int],
) -> None:
    inbox, dialogs = mail[0], []
    async with httpx.AsyncClient(base_url=shop, timeout=30) as api:
        login = await api.post("/api/v1/auth/login", json={"email": "admin@demo.example", "password": "floorwalker"})
        admin = {"authorization": f"Bearer {login.json()['access_token']}"}
        user = {"email": "eve@demo.example", "password": "long-password-1", "name": NAME, "role": "operator"}
        assert (await api.post("/api/v1/users", json=user, headers=admin)).status_code == 201
        canned = {"shortcut": "evil", "title": f"Evil {SVG}", "text": f"Canned {SCRIPT} {JS_URL}"}
        made = await api.post("/api/v1/canned-responses", json=canned, headers=admin)
        assert made.status_code == 201, made.text

    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    watch(visitor, dialogs)
    await visitor.goto(f"{shop}/demo/informatica/?q={SVG}")
    await visitor.evaluate(
        "([name, img, svg]) => { window.Floorwalker('identify', {user_id: 'u-1', name, email: 'eve.visitor@example.com'});"
        " window.Floorwalker('set', {plan: img, note: svg}); }",
        [f"Mallory {IMG}", IMG, SVG],
    )
    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill(f"Hi {IMG} {SCRIPT} {SVG} {JS_URL}")
    await visitor.locator('[data-fw="send"]').click()

    console = await (await browser.new_context()).new_page()
    watch(console, dialogs)
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("eve@demo.example")
    await console.locator('[data-fw="login-password"]').fill("long-password-1")
    await console.locator('[data-fw="login-submit"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()
    await expect(console.locator('[data-fw="message"][data-sender="visitor"]')).to_contain_text(IMG, timeout=10_000)
    await expect(console.locator('[data-fw="message"][data-sender="visitor"]')).to_contain_text(SCRIPT)

    await console.locator('[data-fw="chat-visitor"]').click()
    panel = console.locator('[data-fw="visitor-panel"]')
    await expect(panel).to_be_visible(timeout=10_000)
    await expect(panel).to_contain_text(f"Mallory {IMG}", timeout=10_000)
    await expect(panel.locator('[data-fw="visitor-attributes"]')).to_contain_text(IMG, timeout=10_000)
    await expect(panel.locator('[data-fw="visitor-attributes"]')).to_contain_text(SVG)
    await expect(panel).to_contain_text("svg onload", timeout=10_000)  # the page's URL in the path timeline

    composer = console.locator('[data-fw="chat-input"]')
    await composer.fill("/evil")
    await console.locator('[data-fw="canned-option"]').first.click()
    await expect(composer).to_have_value(f"Canned {SCRIPT} {JS_URL}")
    await console.locator('[data-fw="chat-send"]').click()
    reply = visitor.locator('[data-fw="message"][data-sender="operator"]')
    await expect(reply.locator('[data-fw="text"]')).to_have_text(f"Canned {SCRIPT} {JS_URL}", timeout=10_000)
    await expect(reply.locator('[data-fw="sender-name"]')).to_have_text(NAME)

    await visitor.locator('[data-fw="email-address"]').fill("eve.visitor@example.com")
    await visitor.locator('[data-fw="email-transcript"]').click()
    assert await eventually(lambda: len(inbox.messages) >= 1, 20), "the transcript arrives"
    plain, markup = body_text(inbox.messages[-1])
    assert IMG in plain and SCRIPT in plain, plain  # text/plain: the payloads as written
    if markup:
        assert "<img src=x" not in markup and "<script>" not in markup, markup
        assert "&lt;img src=x" in markup

    for page in (visitor, console):
        assert await page.locator("img[src=x], svg[onload]").count() == 0
        assert await pwned(page) is None
    assert dialogs == []
