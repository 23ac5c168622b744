"""CHAT-10 in Debian's Chromium: the visitor attaches an image and a PDF in the widget, the operator sees the image
and opens the PDF in the console, the operator sends an image back and the visitor sees it. Files are fetched with
each side's token in a header (the image shows from an object URL); a file the server will not take is refused
with a clear word."""

import asyncio
import re
import struct
import zlib
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.test_widget_to_console import CHROMIUM_ARGS, browser, pytestmark, shop
from tests.helpers import BROWSER_UA

__all__ = ["CHROMIUM_ARGS", "browser", "pytestmark", "shop"]

BLOB = re.compile(r"^blob:")


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (red) PNG, so that the browser draws it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png()
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def test_images_and_a_pdf_go_both_ways_between_widget_and_console(
    shop: str, browser: Browser, tmp_path: Path
) -> None:
    photo, invoice, reply, page = (
        tmp_path / "broken part.png",
        tmp_path / "invoice 42.pdf",
        tmp_path / "fix.png",
        tmp_path / "page.png",
    )
    photo.write_bytes(PNG)
    invoice.write_bytes(PDF)
    reply.write_bytes(PNG)
    page.write_bytes(b"<html><script>alert(1)</script></html>")  # named .png, HTML by content

    visitor = await (await browser.new_context(user_agent=BROWSER_UA)).new_page()
    problems: list[str] = []
    visitor.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    await visitor.goto(f"{shop}/demo/informatica/")
    await visitor.locator('[data-fw="launcher"]').click()
    await visitor.locator('[data-fw="input"]').fill("My laptop arrived broken")
    await visitor.locator('[data-fw="send"]').click()
    await expect(visitor.locator('[data-fw="message"][data-sender="visitor"]')).to_have_count(1, timeout=10_000)
    await expect(visitor.locator('[data-fw="attach"]')).to_be_visible()
    await visitor.locator('[data-fw="attach-input"]').set_input_files(str(page))
    await expect(visitor.locator('[data-fw="error"]')).to_contain_text("Only images", timeout=10_000)
    big = tmp_path / "huge.png"  # over the default ATTACHMENT_MAX_BYTES (10 MB): refused by the edge with 413
    big.write_bytes(PNG + bytes(11 * 1024 * 1024))
    await visitor.locator('[data-fw="attach-input"]').set_input_files(str(big))
    await expect(visitor.locator('[data-fw="error"]')).to_have_text("huge.png: This file is too large to send.")
    await visitor.locator('[data-fw="attach-input"]').set_input_files(str(photo))
    thumb = visitor.locator('[data-fw="message"][data-sender="visitor"] [data-fw="attachment-thumb"]')
    await expect(thumb).to_have_attribute("src", BLOB, timeout=10_000)
    await visitor.locator('[data-fw="attach-input"]').set_input_files(str(invoice))
    await expect(
        visitor.locator('[data-fw="message"][data-sender="visitor"] [data-fw="attachment-file"]')
    ).to_contain_text("invoice 42.pdf", timeout=10_000)

    console = await (await browser.new_context(accept_downloads=True)).new_page()
    await console.goto(f"{shop}/console/")
    await console.locator('[data-fw="login-email"]').fill("olga@demo.example")
    await console.locator('[data-fw="login-password"]').fill("floorwalker")
    await console.locator('[data-fw="login-submit"]').click()
    waiting = console.locator('[data-fw="waiting-list"] [data-fw="conversation-item"]')
    await expect(waiting).to_have_count(1, timeout=10_000)
    await waiting.first.click()
    await console.locator('[data-fw="accept"]').click()

    seen = console.locator('[data-fw="message"][data-sender="visitor"] [data-fw="attachment-thumb"]')
    await expect(seen).to_have_attribute("src", BLOB, timeout=10_000)
    assert await seen.evaluate("img => img.complete && img.naturalWidth") == 2  # drawn: the CSP let the blob in
    assert await seen.get_attribute("alt") == "broken part.png"
    await console.locator('[data-fw="attachment-image"]').click()
    await expect(console.locator('[data-fw="viewer-image"]')).to_be_visible()
    await console.locator('[data-fw="viewer-close"]').click()
    link = console.locator('[data-fw="message"][data-sender="visitor"] [data-fw="attachment-file"]')
    await expect(link).to_contain_text("invoice 42.pdf")
    async with console.expect_download() as downloading:
        await link.click()
    download = await downloading.value
    assert download.suggested_filename == "invoice 42.pdf"
    assert await asyncio.to_thread(Path(await download.path()).read_bytes) == PDF

    await console.locator('[data-fw="attach-input"]').set_input_files(str(reply))
    back = visitor.locator('[data-fw="message"][data-sender="operator"] [data-fw="attachment-thumb"]')
    await expect(back).to_have_attribute("src", BLOB, timeout=10_000)
    assert await back.evaluate("img => img.complete && img.naturalWidth") == 2
    await visitor.locator('[data-fw="message"][data-sender="operator"] [data-fw="attachment-image"]').click()
    await expect(visitor.locator('[data-fw="viewer-image"]')).to_be_visible()
    await visitor.screenshot(path=str(tmp_path / "widget.png"))
    await console.screenshot(path=str(tmp_path / "console.png"))
    assert not [p for p in problems if "Content Security Policy" in p], problems
