"""EMB-11 and EMB-10 in Debian's Chromium: a site set to Arabic gets a right-to-left widget in the mirrored corner
(checked by computed direction and bounding boxes, with a screenshot); the visitor ends the chat, rates it with a
face and a comment, and the operator sees the rating on the conversation in the console."""

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from tests.browser.test_widget_to_console import CHROMIUM_ARGS, browser, pytestmark, shop
from tests.helpers import BROWSER_UA

__all__ = ["CHROMIUM_ARGS", "browser", "pytestmark", "shop"]
VIEWPORT = {"width": 1280, "height": 800}


async def set_demo_site_language(shop: str, language: str) -> None:
    async with httpx.AsyncClient(base_url=shop) as api:
        login = await api.post("/api/v1/auth/login", json={"email": "admin@demo.example", "password": "floorwalker"})
        headers = {"authorization": f"Bearer {login.json()['access_token']}"}
        (site,) = [
            s for s in (await api.get("/api/v1/sites", headers=headers)).json()["sites"] if s["name"] == "Demo shop"
        ]
        changed = await api.patch(f"/api/v1/sites/{site['id']}", json={"language": language}, headers=headers)
        assert changed.status_code == 200 and changed.json()["language"] == language, changed.text


async def test_an_arabic_widget_is_right_to_left_and_a_rating_shows_in_the_console(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    await set_demo_site_language(shop, "ar")
    visitor = await (await browser.new_context(user_agent=BROWSER_UA, viewport=VIEWPORT)).new_page()
    await visitor.goto(f"{shop}/demo/informatica/")
    launcher = visitor.locator('[data-fw="launcher"]')
    await expect(launcher).to_have_text("Chat with us")  # the site's own title, as its admin wrote it
    await launcher.click()
    panel = visitor.locator('[data-fw="panel"]')
    await expect(panel).to_be_visible()
    assert await panel.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert await panel.get_attribute("dir") == "rtl"
    await expect(visitor.locator('[data-fw="input"]')).to_have_attribute("placeholder", "اكتب رسالة…")
    await visitor.screenshot(path=str(tmp_path / "arabic-widget.png"))
    launcher_box, panel_box = await launcher.bounding_box(), await panel.bounding_box()
    assert launcher_box and panel_box
    assert launcher_box["x"] + launcher_box["width"] < VIEWPORT["width"] / 2, "the launcher is in the left corner"
    assert panel_box["x"] < VIEWPORT["width"] / 2 and panel_box["x"] < 60, "the panel opens on the left"
    input_box = await visitor.locator('[data-fw="input"]').bounding_box()
    send_box = await visitor.locator('[data-fw="send"]').bounding_box()
    assert input_box and send_box and send_box["x"] < input_box["x"], "the send button is mirrored to the left"

    await visitor.locator('[data-fw="input"]').fill("مرحبا، هل الحاسوب متوفر؟")
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
    await console.locator('[data-fw="chat-input"]').fill("Yes, it is.")
    await console.locator('[data-fw="chat-send"]').click()
    await expect(visitor.locator('[data-fw="message"][data-sender="operator"]')).to_have_count(1, timeout=10_000)

    await visitor.locator('[data-fw="end-chat"]').click()
    rating = visitor.locator('[data-fw="rating"]')
    await expect(rating).to_be_visible(timeout=10_000)
    await expect(rating).to_contain_text("كيف كانت المحادثة؟")
    await rating.locator('[data-fw="rating-face"][data-score="4"]').click()
    await rating.locator('[data-fw="rating-comment"]').fill("<b>سريع</b>")
    await rating.locator('[data-fw="rating-send"]').click()
    await expect(rating.locator('[data-fw="rating-result"]')).to_have_text("شكرًا على تقييمك!", timeout=10_000)

    shown = console.locator('[data-fw="conversation-rating"]')
    await expect(shown).to_have_attribute("data-score", "4", timeout=15_000)
    await expect(shown).to_contain_text("4/5")
    await expect(shown.locator('[data-fw="rating-comment"]')).to_have_text("<b>سريع</b>")  # text stays text
    await console.screenshot(path=str(tmp_path / "console-rating.png"))
