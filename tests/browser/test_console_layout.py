"""The console's live view at 1280x720, in Debian's Chromium (OPS-1, OPS-2): with no chat open the live visitors
have the height (room for at least 8 rows, not 2.5 under an empty chat pane); with a waiting chat and the
visitor's panel open, the panel sits beside the chat and the Accept button stays uncovered and works."""

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_live_visitors import log_in
from tests.browser.test_widget_to_console import browser, shop  # noqa: F401  (fixtures)
from tests.helpers import BROWSER_UA

pytestmark = pytest.mark.browser


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def test_the_live_list_has_room_and_the_visitor_panel_leaves_accept_uncovered(
    shop: str,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    await visitor.goto(f"{shop}/demo/")
    console = await (await browser.new_context(viewport={"width": 1280, "height": 720})).new_page()
    await log_in(console, shop)
    rows = console.locator('[data-fw="live-visitors"] [data-fw="visitor-row"]')
    await expect(rows).to_have_count(1, timeout=10_000)
    await expect(console.locator('[data-fw="chat"]')).to_be_hidden()  # no empty "Pick a conversation" pane

    # Room for at least 8 rows between the first row and the bottom of the live list, all on screen.
    row = await rows.first.bounding_box()
    visitors = await console.locator("section.visitors").bounding_box()
    assert row and visitors
    assert visitors["y"] + visitors["height"] <= 720 + 1
    room = (visitors["y"] + visitors["height"] - row["y"]) / row["height"]
    assert room >= 8, f"room for {room:.1f} rows"

    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill("Hello, anyone there?")
    await visitor.locator('[data-fw="send"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await expect(waiting.first.locator('[data-fw="item-preview"]')).to_contain_text("anyone there", timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="chat-visitor"]').click()
    panel = console.locator('[data-fw="visitor-panel"]')
    await expect(panel).to_be_visible()
    accept = console.locator('[data-fw="accept"]')
    accept_box, panel_box = await accept.bounding_box(), await panel.bounding_box()
    assert accept_box and panel_box
    assert not overlap(accept_box, panel_box), (accept_box, panel_box)
    assert await rows.count() == 1 and (await rows.first.bounding_box()) is not None  # the live list is still there
    await console.screenshot(path=str(tmp_path / "console-layout.png"))
    await accept.click()  # not covered: the click lands on the button
    await expect(console.locator('[data-fw="chat"]')).to_have_attribute("data-state", "active", timeout=10_000)
