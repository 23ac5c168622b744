"""EMB-3 in Debian's Chromium: an admin sets the widget's look in the console (colour, launcher as a bar, a logo on
the gateway, the operator's face in the header) and the demo shop's widget draws it, under the shop's CSP; an
unsafe logo address is refused before it is saved. The answering operator uploaded her photo in her profile: the
header shows it (loaded from the gateway without a token)."""

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.test_attachments import png
from tests.browser.test_widget_to_console import CHROMIUM_ARGS, browser, pytestmark, shop
from tests.helpers import BROWSER_UA

__all__ = ["CHROMIUM_ARGS", "browser", "pytestmark", "shop"]
LOGO = "/console/floorwalker-logo.svg"


async def test_the_look_set_in_the_console_is_what_the_shops_widget_draws(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    admin = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    await admin.goto(f"{shop}/console/")
    await admin.locator('[data-fw="login-email"]').fill("admin@demo.example")
    await admin.locator('[data-fw="login-password"]').fill("floorwalker")
    await admin.locator('[data-fw="login-submit"]').click()
    await admin.locator('[data-fw="tab-sites"]').click()
    look = admin.locator('[data-fw="site-look"]')
    await expect(look).to_be_visible(timeout=10_000)
    await look.locator('[data-fw="look-logo"]').fill("javascript:alert(1)")
    await expect(look.locator('[data-fw="look-save"]')).to_be_disabled()
    await expect(look).to_contain_text("must start with https://")
    await look.locator('[data-fw="look-logo"]').fill(LOGO)
    await look.locator('[data-fw="look-color"]').fill("#0f766e")
    await look.locator('[data-fw="look-launcher-kind"]').select_option("bar")
    await look.locator('[data-fw="look-operator-photo"]').check()
    await expect(look.locator('[data-fw="look-preview"] img.look-logo')).to_be_visible()
    await look.locator('[data-fw="look-save"]').click()
    await expect(look).to_contain_text("Saved", timeout=10_000)

    visitor = await (
        await browser.new_context(user_agent=BROWSER_UA, viewport={"width": 1280, "height": 720})
    ).new_page()
    blocked: list[str] = []
    visitor.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    await visitor.goto(f"{shop}/demo/informatica/")
    launcher = visitor.locator('[data-fw="launcher"]')
    await expect(launcher).to_be_visible(timeout=10_000)
    assert "bar" in (await launcher.evaluate("b => b.parentElement.className")).split()
    box = await launcher.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - 720) <= 1, box  # along the bottom edge
    assert box["width"] >= 260
    assert await launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(15, 118, 110)"

    await launcher.click()
    logo = visitor.locator('[data-fw="panel"] [data-fw="head-logo"] img')
    await expect(logo).to_be_visible(timeout=10_000)
    assert await logo.get_attribute("src") == f"{shop}{LOGO}"
    drawn = await logo.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert drawn > 0  # drawn: the shop's CSP allows it
    await visitor.locator('[data-fw="input"]').fill("Hello, who is there?")
    await visitor.locator('[data-fw="send"]').click()

    console = await (await browser.new_context()).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    # Olga puts her photo on file (EMB-3): her profile, from her name in the header
    photo = tmp_path / "olga.png"
    photo.write_bytes(png(8, 8))
    await console.locator('[data-fw="profile-open"]').click()
    profile = console.locator('[data-fw="profile"]')
    await profile.locator('[data-fw="photo-input"]').set_input_files(str(photo))
    await expect(profile.locator('[data-fw="photo-face"] img')).to_be_visible(timeout=10_000)
    await profile.locator('[data-fw="profile-close"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()
    face = visitor.locator('[data-fw="panel"] [data-fw="operator-photo"] img')
    await expect(face).to_be_visible(timeout=10_000)  # Olga's photo, where the logo was
    src = await face.get_attribute("src") or ""
    assert src.startswith(f"{shop}/photos/") and len(src) == len(f"{shop}/photos/") + 32, src
    assert await face.evaluate("img => img.decode().then(() => img.naturalWidth)") == 8  # loaded without a token
    assert not blocked, blocked
