"""An operator follows a visitor through the demo shop live, in Debian's Chromium: the visitors table,
the visitor's path with time on each page, sections, products and searches, and the identified contact."""

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.test_widget_to_console import browser, shop  # noqa: F401  (fixtures)
from tests.helpers import BROWSER_UA

pytestmark = pytest.mark.browser


async def log_in(page: Page, shop_url: str) -> None:
    await page.goto(f"{shop_url}/console/")
    await page.locator('[data-fw="login-email"]').fill("admin@demo.example")
    await page.locator('[data-fw="login-password"]').fill("floorwalker")
    await page.locator('[data-fw="login-submit"]').click()


async def test_an_operator_follows_a_visitor_through_the_shop_live(
    shop: str,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    console = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
    await log_in(console, shop)
    rows = console.locator('[data-fw="live-visitors"] [data-fw="visitor-row"]')
    await expect(rows).to_have_count(0, timeout=10_000)

    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/")
    await expect(rows).to_have_count(1, timeout=10_000)
    await expect(rows.first.locator('[data-fw="visitor-device"]')).to_contain_text("Chrome")

    await visitor.click("text=Informática (IT)")
    await expect(rows.first.locator('[data-fw="visitor-section"]')).to_contain_text("Informática", timeout=10_000)
    await visitor.click("text=Laptop Pro 14")
    await visitor.fill('input[name="q"]', "router")
    await visitor.press('input[name="q"]', "Enter")
    await visitor.wait_for_url("**/demo/search?q=router")
    await expect(rows.first).to_contain_text("router", timeout=10_000)  # the search page is the current page

    # The host site's JavaScript API names the logged-in customer.
    await visitor.evaluate(
        "Floorwalker('identify', {user_id: 'crm-7', name: 'Maria Silva', email: 'maria@example.com'})"
    )
    await expect(rows.first.locator('[data-fw="visitor-name"]')).to_contain_text("Maria Silva", timeout=10_000)

    await rows.first.click()
    panel = console.locator('[data-fw="visitor-panel"]')
    await expect(panel).to_be_visible()
    pages = panel.locator('[data-fw="visit-timeline"] [data-fw="timeline-page"]')
    await expect(pages).to_have_count(4, timeout=10_000)
    await expect(pages.nth(1)).to_contain_text("Informática")
    await expect(panel.locator('[data-fw="visitor-products"]')).to_contain_text("Laptop Pro 14")
    await expect(panel.locator('[data-fw="visitor-searches"]')).to_contain_text("router")
    # Pages left behind have the time they were actually looked at (sent by the unload beacon).
    await expect(pages.first.locator('[data-fw="time-spent"]')).not_to_be_empty()
    await console.screenshot(path=str(tmp_path / "live-visitors.png"))

    await console.locator('[data-fw="panel-close"]').click()
    await console.locator('[data-fw="filter-kind"]').select_option("returning")
    await expect(rows).to_have_count(0)
    await console.locator('[data-fw="filter-kind"]').select_option("new")
    await expect(rows).to_have_count(1)
