"""OFF-1 and EMB-7 in Debian's Chromium, end to end with a real SMTP server: nobody is available, so the visitor of
the demo shop leaves a message in the widget's offline form; the operator finds the ticket in the console and
answers it; the answer arrives by email; the visitor's emailed reply lands on the ticket."""

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Browser, expect

from tests.browser.test_operator_call import browser  # noqa: F401 (the fixture)
from tests.helpers import BROWSER_UA, eventually, free_port, start_embedded

pytestmark = pytest.mark.browser
SECRET = "inbound-secret-for-the-browser-test"
REPLY_DOMAIN = "reply.shop.example"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def shop(tmp_path: Path, mail: tuple[Inbox, int]) -> Iterator[str]:
    port = free_port()
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail[1]), "INBOUND_EMAIL_SECRET": SECRET}
    process = start_embedded(tmp_path, port, MAIL_REPLY_DOMAIN=REPLY_DOMAIN, **env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(15)


async def test_offline_form_to_ticket_to_email_reply_and_back(
    shop: str,
    browser: Browser,  # noqa: F811 (the fixture)
    mail: tuple[Inbox, int],
) -> None:
    inbox = mail[0]
    async with httpx.AsyncClient(base_url=shop, headers={"origin": shop}, timeout=30) as api:
        login = await api.post("/api/v1/auth/login", json={"email": "admin@demo.example", "password": "floorwalker"})
        headers = {"authorization": f"Bearer {login.json()['access_token']}"}
        made = await api.post("/api/v1/queues", json={"name": "After hours"}, headers=headers)
        assert made.status_code == 201, made.text  # no operator of it is online: nobody is available

        visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
        await visitor.goto(f"{shop}/demo/informatica/")
        await visitor.locator('[data-fw="launcher"]').click()
        form = visitor.locator('[data-fw="offline-form"]')
        await expect(form).to_be_visible(timeout=10_000)
        await form.locator('[data-fw="offline-name"]').fill("<b>Ann</b>")
        await form.locator('[data-fw="offline-email"]').fill("ann@customer.example")
        await form.locator('[data-fw="offline-message"]').fill("Do you ship to Lisbon?")
        await form.locator('[data-fw="offline-send"]').click()
        await expect(form.locator('[data-fw="offline-sent"]')).to_have_text(
            "Thank you! We will answer at ann@customer.example.", timeout=10_000
        )

        console = await (await browser.new_context()).new_page()
        await console.goto(f"{shop}/console/")
        await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
        await console.locator('[data-fw="login-password"]').fill("floorwalker")
        await console.locator('[data-fw="login-submit"]').click()
        await console.locator('[data-fw="tab-tickets"]').click()
        await console.locator('[data-fw="ticket"]').first.click()
        detail = console.locator('[data-fw="ticket-detail"]')
        await expect(detail.locator('[data-fw="ticket-message"]').first).to_contain_text("Do you ship to Lisbon?")
        await expect(detail).to_contain_text("<b>Ann</b>")  # text stays text
        await detail.locator('[data-fw="ticket-reply"]').fill("Yes, in 3 days.")
        await detail.locator('[data-fw="ticket-send"]').click()
        await expect(detail.locator('[data-fw="ticket-message"]')).to_have_count(2)

        assert await eventually(lambda: len(inbox.messages) == 1, 30), "the answer never arrived by email"
        answer = inbox.messages[0]
        assert answer["To"] == "ann@customer.example" and "Yes, in 3 days." in answer.get_content()
        raw = (
            f"From: ann@customer.example\r\nTo: {answer['Reply-To']}\r\nSubject: Re: {answer['Subject']}\r\n\r\n"
            "Great, thanks!\r\n\r\nOn Thu, Dec 3, 2026, Floorwalker wrote:\r\n> Yes, in 3 days.\r\n"
        ).encode()
        came = await api.post(
            "/api/v1/inbound-email",
            content=raw,
            headers={"content-type": "message/rfc822", "x-floorwalker-inbound-secret": SECRET},
        )
        assert came.status_code == 201, came.text

        await console.locator('[data-fw="tickets-answered"]').click()
        await console.locator('[data-fw="tickets-open"]').click()
        await console.locator('[data-fw="ticket"]').first.click()
        await expect(detail.locator('[data-fw="ticket-message"]')).to_have_count(3)
        await expect(detail.locator('[data-fw="ticket-message"]').last).to_contain_text("Great, thanks!")
        await expect(detail.locator('[data-fw="ticket-message"]').last).not_to_contain_text("Yes, in 3 days.")
