"""An admin in Debian's Chromium adds an allowed origin to the demo shop in the console's Sites screen (it is
there after a reload, and a widget session from that origin opens), and copies the embed snippet."""

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_widget_to_console import browser, shop  # noqa: F401  (fixtures)
from tests.services.gateway_harness import login

pytestmark = pytest.mark.browser
NEW_ORIGIN = "https://new-shop.example"


async def test_an_admin_adds_an_origin_and_copies_the_snippet(shop: str, browser: Browser) -> None:  # noqa: F811
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=shop)
    console = await context.new_page()
    problems: list[str] = []
    console.on("pageerror", lambda error: problems.append(str(error)))
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("admin@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    await console.locator('[data-fw="tab-sites"]').click()
    origins = console.locator('[data-fw="origin-row"]')
    await expect(origins.first).to_be_visible(timeout=10_000)
    before = await origins.count()

    # A URL with a path is refused with the reason; the origin itself is added and listed.
    await console.locator('[data-fw="origin-input"]').fill(f"{NEW_ORIGIN}/checkout")
    await console.locator('[data-fw="origin-add"]').click()
    await expect(console.locator('[data-fw="origin-error"]')).to_contain_text("no path")
    await console.locator('[data-fw="origin-input"]').fill(NEW_ORIGIN)
    await console.locator('[data-fw="origin-add"]').click()
    await expect(console.locator(f'[data-fw="origin-row"][data-value="{NEW_ORIGIN}"]')).to_be_visible()
    await expect(origins).to_have_count(before + 1)
    await console.locator('[data-fw="origin-input"]').fill(NEW_ORIGIN)
    await console.locator('[data-fw="origin-add"]').click()
    await expect(console.locator('[data-fw="origin-error"]')).to_contain_text("already an allowed origin")

    await console.reload()
    await console.locator('[data-fw="tab-sites"]').click()
    await expect(console.locator(f'[data-fw="origin-row"][data-value="{NEW_ORIGIN}"]')).to_be_visible()
    async with httpx.AsyncClient(base_url=shop, timeout=10) as client:
        admin = await login(client)
        [site] = (
            await client.get("/api/v1/sites", headers={"authorization": f"Bearer {admin['access_token']}"})
        ).json()["sites"]
        opened = await client.post(
            "/api/v1/widget/session", json={"site_key": site["site_key"]}, headers={"origin": NEW_ORIGIN}
        )
        assert opened.status_code == 200, opened.text

    snippet = console.locator('[data-fw="embed-snippet"]')
    await expect(snippet).to_have_text(site["embed_snippet"])
    assert (
        f'src="{shop}/widget.js"' in site["embed_snippet"]
        and f'data-site="{site["site_key"]}"' in site["embed_snippet"]
    )
    await console.locator('[data-fw="copy-snippet"]').click()
    await expect(console.locator('[data-fw="copy-snippet-status"]')).to_have_text("Copied.")
    assert await console.evaluate("navigator.clipboard.readText()") == site["embed_snippet"]
    assert not problems, problems
    await context.close()
