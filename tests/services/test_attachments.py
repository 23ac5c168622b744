"""Attachments (CHAT-10) on the chat service, SQLite + memory bus and PostgreSQL + Redis: images and PDF both ways,
typed by content, read only by the conversation's people, refused when too large (before it is all read)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from services.chat.attachments.storage import LocalFileStore
from services.common.db import utcnow
from services.common.events import VisitorErased
from services.common.settings import Settings
from services.common.tokens import Identity
from tests.helpers import eventually
from tests.services.people_harness import Chat, chat, code_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


async def send_file(
    c: Chat, who: Identity, conversation_id: str, data: bytes, name: str, client_msg_id: str | None = None
) -> httpx.Response:
    params = {"name": name, "client_msg_id": client_msg_id or str(uuid.uuid4())}
    url = f"/api/v1/conversations/{conversation_id}/attachments"
    headers = {**c.headers(who), "content-type": "application/octet-stream"}
    return await c.client.post(url, params=params, content=data, headers=headers)


async def fetch(c: Chat, who: Identity, conversation_id: str, attachment_id: str) -> httpx.Response:
    return await c.client.get(
        f"/api/v1/conversations/{conversation_id}/attachments/{attachment_id}", headers=c.headers(who)
    )


async def test_images_and_pdf_go_both_ways_and_only_the_conversations_people_read_them(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, boris, carl = c.operator("Anna"), c.operator("Boris"), c.operator("Carl")
        sonia, stranger = c.operator("Sonia", role="supervisor"), c.operator("Eve", role="admin", account_id="acc-b")
        guest, other_guest = c.visitor(), c.visitor()
        await c.online(anna, boris, carl)
        await c.hear(anna)
        conversation = await c.accepted(guest, anna, "Here is the broken part")
        cid = conversation["id"]
        invited = await c.client.post(
            f"/api/v1/conversations/{cid}/participants", json={"operator_id": carl.user_id}, headers=c.headers(anna)
        )
        assert invited.status_code in (200, 201), invited.text

        sent = await send_file(c, guest, cid, PNG, "../../etc/<b>photo</b>\u202egnp.exe")
        assert sent.status_code == 201, sent.text
        image = sent.json()
        attachment = image["attachment"]
        assert attachment["content_type"] == "image/png" and attachment["size"] == len(PNG)
        assert "/" not in attachment["name"] and "\u202e" not in attachment["name"]
        assert attachment["name"].endswith(".png") and image["text"] == attachment["name"]

        def delivered() -> list[dict[str, Any]]:  # live, like any message
            return [f["message"] for f in c.heard(anna, cid) if f.get("message", {}).get("id") == image["id"]]

        assert await eventually(delivered), c.heard(anna, cid)
        assert delivered()[0]["attachment"] == attachment

        reply = await send_file(c, anna, cid, PDF, "invoice 42.pdf")
        assert reply.status_code == 201, reply.text
        pdf = reply.json()["attachment"]
        assert pdf["content_type"] == "application/pdf" and pdf["name"] == "invoice 42.pdf"

        got = await fetch(c, guest, cid, pdf["id"])
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"].startswith("sandbox")
        for reader in (anna, carl, sonia, guest):  # assigned, invited, a manager, its visitor
            answer = await fetch(c, reader, cid, attachment["id"])
            assert answer.status_code == 200 and answer.content == PNG, reader.name
            assert answer.headers["content-disposition"].startswith("inline;")
        for intruder in (boris, stranger, other_guest):  # not in it, another account, another visitor
            assert code_of(await fetch(c, intruder, cid, attachment["id"])) == (404, "conversation_not_found")
            assert (await send_file(c, intruder, cid, PNG, "x.png")).status_code == 404
        assert code_of(await fetch(c, anna, cid, str(uuid.uuid4()))) == (404, "attachment_not_found")

        history = (await c.history(guest, cid)).json()["messages"]
        assert [m["attachment"] for m in history[-2:]] == [attachment, pdf]  # stored once, each
        assert history[0]["attachment"] is None


async def test_a_file_is_typed_by_its_content_and_a_retry_is_stored_once(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, guest = c.operator("Anna"), c.visitor()
        await c.online(anna)
        cid = (await c.accepted(guest, anna))["id"]
        assert code_of(await send_file(c, guest, cid, HTML, "cat.png")) == (415, "unsupported_type")
        assert code_of(await send_file(c, guest, cid, SVG, "logo.svg")) == (415, "unsupported_type")
        assert code_of(await send_file(c, guest, cid, b"", "empty.png")) == (422, "empty_file")
        gif = await send_file(c, guest, cid, b"GIF89a" + bytes(20), "page.html")  # a GIF named .html: a GIF
        assert gif.json()["attachment"]["content_type"] == "image/gif"
        assert gif.json()["attachment"]["name"] == "page.html.gif"

        first = await send_file(c, guest, cid, PNG, "a.png", client_msg_id="file-1")
        again = await send_file(c, guest, cid, PNG, "a.png", client_msg_id="file-1")
        assert (first.status_code, again.status_code) == (201, 200)
        # a form or JSON is not a file's bytes: refused before anything is read, a retry's id or not
        url, params = f"/api/v1/conversations/{cid}/attachments", {"name": "a.png", "client_msg_id": "file-1"}
        as_form = {**c.headers(guest), "content-type": "multipart/form-data; boundary=x"}
        refused = await c.client.post(url, params=params, content=PNG, headers=as_form)
        assert code_of(refused) == (415, "unsupported_media_type")
        assert first.json()["id"] == again.json()["id"]
        store = LocalFileStore(settings.attachments_path())
        assert await store.get(first.json()["attachment"]["id"]) == PNG
        kept = [p for p in settings.attachments_path().rglob("*") if p.is_file()]
        assert len(kept) == 2, kept  # the GIF and one PNG: refused files and the retry left nothing behind

        closed = await c.client.post(f"/api/v1/conversations/{cid}/close", headers=c.headers(anna))
        assert closed.status_code == 200
        assert code_of(await send_file(c, guest, cid, PNG, "late.png")) == (409, "conversation_closed")
        assert (await fetch(c, guest, cid, first.json()["attachment"]["id"])).status_code == 200  # still readable


async def test_a_file_over_the_limit_is_refused_before_it_is_all_read(settings: Settings) -> None:
    settings = settings.model_copy(update={"attachment_max_bytes": 10_000})
    async with chat(settings) as c:
        anna, guest = c.operator("Anna"), c.visitor()
        await c.online(anna)
        cid = (await c.accepted(guest, anna))["id"]
        pulled = 0

        async def endless() -> AsyncIterator[bytes]:  # 1 MB, no length said
            nonlocal pulled
            yield PNG
            for _ in range(1000):
                pulled += 1000
                yield bytes(1000)

        url = f"/api/v1/conversations/{cid}/attachments"
        raw = {**c.headers(guest), "content-type": "application/octet-stream"}
        answer = await c.client.post(url, params={"name": "big.png"}, content=endless(), headers=raw)
        assert code_of(answer) == (413, "attachment_too_large")
        assert pulled <= 20_000, pulled  # stopped at the limit, the rest never read
        said = {**raw, "content-length": "50000000"}

        async def nothing() -> AsyncIterator[bytes]:
            yield PNG

        answer = await c.client.post(url, params={"name": "huge.png"}, content=nothing(), headers=said)
        assert code_of(answer) == (413, "attachment_too_large")
        history: list[dict[str, Any]] = (await c.history(guest, cid)).json()["messages"]
        assert all(m["attachment"] is None for m in history)
        fits = await send_file(c, guest, cid, PNG + bytes(9_000), "fits.png")
        assert fits.status_code == 201, fits.text


async def test_an_erased_visitors_files_are_deleted_from_the_store_and_others_are_kept(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, guest, other = c.operator("Anna"), c.visitor(), c.visitor()
        await c.online(anna)
        cid = (await c.accepted(guest, anna))["id"]
        other_cid = (await c.accepted(other, anna))["id"]
        theirs = [
            (await send_file(c, guest, cid, PNG, "me.png")).json()["attachment"]["id"],
            (await send_file(c, anna, cid, PDF, "offer.pdf")).json()["attachment"]["id"],  # the operator's, in it
        ]
        kept = (await send_file(c, other, other_cid, PNG, "other.png")).json()["attachment"]["id"]
        store = LocalFileStore(settings.attachments_path())
        assert all([await store.get(i) for i in theirs])

        erased = VisitorErased(visitor_id=guest.visitor_id or "", erased_at=utcnow()).to_event(c.account_id)
        await c.bus.publish_event(erased)

        async def files_gone() -> bool:
            return all([await store.get(i) is None for i in theirs])

        assert await eventually(files_gone, 10), "an erased visitor's files are still on disk"
        assert await store.get(kept) == PNG
        got = await fetch(c, other, other_cid, kept)
        assert got.status_code == 200 and got.content == PNG
        assert code_of(await fetch(c, anna, cid, theirs[1]))[0] == 404
