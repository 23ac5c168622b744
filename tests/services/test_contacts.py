"""The pre-chat form (EMB-3/5), the customer card (CHAT-8), internal notes (OPS-5) and the history of closed chats
(OPS-3), over the real HTTP stack: the gateway with the chat service behind it (real sockets), and the chat
service alone for the history search."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection

from services.chat.app import create_app as create_chat
from services.chat.contact_tables import contacts, visitor_contacts
from services.common.bus import MemoryBus
from services.common.db import utcnow
from services.common.events import VisitorErased
from services.common.settings import Settings
from services.common.tokens import Identity
from services.gateway import accounts as accts
from services.gateway.app import create_app as create_gateway
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, as_identity, eventually, free_port, live_server, operator, running, visitor

FORM = {"name": "required", "email": "optional", "phone": "optional", "question": "optional"}


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient, FastAPI]]:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    bus = MemoryBus() if settings.redis_url is None else None
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            yield base, client, app


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def error(answer: httpx.Response) -> tuple[int, str, list[str]]:
    body = answer.json()["error"]
    return answer.status_code, body["code"], [d.get("field", "") for d in body.get("details") or []]


async def other_account_admin(app: FastAPI, client: httpx.AsyncClient) -> dict[str, str]:
    async with app.state.runtime.db.transaction() as session:
        account = await accts.create_account(session, "Rival")
        await accts.add_user(session, account, "boss@rival.example", "long-password-1", "Rival Boss", "admin")
    answer = await client.post(
        "/api/v1/auth/login", json={"email": "boss@rival.example", "password": "long-password-1"}
    )
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


async def chat_as_visitor(client: httpx.AsyncClient, token: str, text: str) -> str:
    started = await client.post("/api/v1/conversations", json={"text": text}, headers=bearer(token))
    assert started.status_code == 201, started.text
    cid: str = started.json()["id"]
    return cid


async def notes_stay_with_the_staff(
    base: str, client: httpx.AsyncClient, olga_token: str, guest_token: str, cid: str, rival: dict[str, str]
) -> None:
    """Notes in an active chat: the operator's socket hears them; the visitor's socket, fetch and resume never."""
    olga, v = bearer(olga_token), bearer(guest_token)
    url = f"/api/v1/conversations/{cid}/notes"
    for bad in ({"text": ""}, {"text": "   "}, {"text": "é" * 2049}, {"text": "ok", "to": "visitor"}, {}):
        assert (await client.post(url, json=bad, headers=olga)).status_code == 422, bad
    assert (await client.post(url, json={"text": "sneaky"}, headers=v)).status_code == 403
    assert (await client.post(url, json={"text": "rival"}, headers=rival)).status_code == 404
    assert (await client.get(url, headers=rival)).status_code == 404
    async with (
        open_socket(base, "/ws/operator", olga_token) as op_ws,
        open_socket(base, "/ws/visitor", guest_token) as v_ws,
    ):
        added = await client.post(url, json={"text": "VIP: never offer credit"}, headers=olga)
        assert added.status_code == 201, added.text
        assert added.json()["author_name"] == "Olga Souza"
        heard = await next_frame(op_ws, "conversation.note")
        assert heard["note"]["text"] == "VIP: never offer credit" and heard["note"]["conversation_id"] == cid

        # after the note, a message: everything the visitor's socket got up to it had no note in it
        await op_ws.send(
            json.dumps({"type": "message.send", "conversation_id": cid, "client_msg_id": "o1", "text": "Sure"})
        )
        seen = await frames_until(v_ws, lambda f: f["type"] == "message.created" and f["message"]["text"] == "Sure")
        assert not [f for f in seen if "never offer credit" in f or "conversation.note" in f], seen
        await v_ws.send(json.dumps({"type": "resume", "conversation_id": cid, "after_seq": 0}))
        resumed = await frames_until(v_ws, lambda f: f["type"] == "resume.done")
        assert not [f for f in resumed if "never offer credit" in f], resumed
    assert "never offer credit" not in (await client.get(f"/api/v1/conversations/{cid}/messages", headers=v)).text
    assert (await client.get(url, headers=v)).status_code == 403
    listed = (await client.get(url, headers=olga)).json()["notes"]
    assert [n["text"] for n in listed] == ["VIP: never offer credit"]


async def frames_until(ws: ClientConnection, last: Callable[[dict[str, Any]], bool]) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(5):
        while True:
            frame = json.loads(await ws.recv())
            seen.append(json.dumps(frame))
            if last(frame):
                return seen


async def test_the_pre_chat_form_makes_a_contact_whose_card_shows_earlier_chats_and_notes_stay_with_the_staff(
    settings: Settings,
) -> None:
    async with gateway(settings) as (base, client, app):
        admin = bearer((await login(client))["access_token"])
        olga_token = (await login(client, "olga@demo.example"))["access_token"]
        olga = bearer(olga_token)
        site_id = (await client.get("/api/v1/sites", headers=admin)).json()["sites"][0]["id"]
        url = f"/api/v1/prechat-forms?site_id={site_id}"

        async def known() -> bool:  # chat hears of the demo site from the gateway's `site.created`
            return (await client.get(url, headers=admin)).status_code == 200

        assert await eventually(known, 20), "chat never heard of the demo site"
        default = (await client.get(url, headers=admin)).json()["fields"]
        assert set(default.values()) <= {"off", None}, "no form until the site configures one"
        guest = await visitor_session(client)
        shown = (await client.get("/api/v1/prechat-form", headers=bearer(guest["visitor_token"]))).json()
        assert shown["shown"] is False and shown["answered"] is False

        # field definitions are checked
        for bad in (
            {**FORM},  # the question asked without its text
            {**FORM, "question_label": "   "},
            {**FORM, "question_label": "x" * 201},
            {**FORM, "question_label": "Two\nlines"},
            {**FORM, "email": "sometimes", "question_label": "Order?"},
            {**FORM, "question_label": "Order?", "colour": "red"},
        ):
            assert (await client.put(url, json=bad, headers=admin)).status_code == 422, bad
        saved = await client.put(url, json={**FORM, "question_label": "Your order number?"}, headers=admin)
        assert saved.status_code == 200, saved.text
        assert saved.json()["fields"]["question_label"] == "Your order number?"
        assert (await client.put(url, json=FORM | {"question_label": "x"}, headers=olga)).status_code == 403

        # another account's admin: the site is nobody they know, whatever they send
        rival = await other_account_admin(app, client)
        for method in ("GET", "PUT"):
            body = {"name": "off", "email": "required"} if method == "PUT" else None
            assert error(await client.request(method, url, json=body, headers=rival))[:2] == (404, "site_not_found")
        unknown = "/api/v1/prechat-forms?site_id=no-such-site"
        assert error(await client.get(unknown, headers=admin))[:2] == (404, "site_not_found")
        assert (await client.get(url, headers=admin)).json()["fields"]["email"] == "optional"

        # the visitor's answers, checked against the form on the server
        v = bearer(guest["visitor_token"])
        form = (await client.get("/api/v1/prechat-form", headers=v)).json()
        assert form["shown"] is True and form["fields"]["question_label"] == "Your order number?"
        for bad, field in (
            ({"email": "ana@example.com"}, "name"),
            ({"name": "   ", "email": "ana@example.com"}, "name"),
            ({"name": "Ana", "email": "ana@"}, "email"),
            ({"name": "Ana", "email": "ana@example.com<script>"}, "email"),
            ({"name": "Ana", "phone": "12"}, "phone"),
            ({"name": "Ana", "phone": "call me maybe"}, "phone"),
            ({"name": "Ana", "question": "x" * 2001}, "question"),
            ({"name": "x" * 201}, "name"),
        ):
            answer = await client.post("/api/v1/prechat", json=bad, headers=v)
            assert answer.status_code == 422 and field in error(answer)[2][0], (bad, answer.text)
        answers = {"name": "Ana", "email": " Ana@Example.COM ", "phone": "+351 912-345-678", "question": "#1234"}
        accepted = await client.post("/api/v1/prechat", json=answers, headers=v)
        assert accepted.status_code == 200 and accepted.json() == {"contact": True}, accepted.text
        assert (await client.get("/api/v1/prechat-form", headers=v)).json()["answered"] is True
        assert (await client.get("/api/v1/history", headers=v)).status_code == 403

        first = await chat_as_visitor(client, guest["visitor_token"], "Where is my parcel?")
        card = (await client.get(f"/api/v1/conversations/{first}/contact", headers=olga)).json()
        assert card["contact"]["email"] == "ana@example.com" and card["contact"]["phone"] == "+351912345678"
        assert card["contact"]["name"] == "Ana" and card["contact"]["identified"] is False
        assert card["prechat"]["question"] == "Your order number?" and card["prechat"]["answer"] == "#1234"
        assert card["earlier"] == []
        assert (await client.get(f"/api/v1/conversations/{first}/contact", headers=rival)).status_code == 404
        assert (await client.get(f"/api/v1/conversations/{first}/contact", headers=v)).status_code == 403
        assert (await client.post(f"/api/v1/conversations/{first}/accept", headers=olga)).status_code == 200
        await notes_stay_with_the_staff(base, client, olga_token, guest["visitor_token"], first, rival)
        assert (await client.post(f"/api/v1/conversations/{first}/close", headers=olga)).status_code == 200

        # the same person comes back in another browser: the new chat shows the earlier one, readable
        again = await visitor_session(client)
        back = {"name": "Ana S.", "email": "ana@example.com"}
        assert (await client.post("/api/v1/prechat", json=back, headers=bearer(again["visitor_token"]))).json() == {
            "contact": True
        }
        second = await chat_as_visitor(client, again["visitor_token"], "Me again")
        card = (await client.get(f"/api/v1/conversations/{second}/contact", headers=olga)).json()
        assert card["contact"]["name"] == "Ana S." and card["contact"]["phone"] == "+351912345678"
        assert [(c["id"], c["state"], c["first_line"]) for c in card["earlier"]] == [
            (first, "closed", "Where is my parcel?")
        ]
        read = await client.get(f"/api/v1/history/{first}", headers=olga)
        assert read.status_code == 200, read.text
        assert read.json()["messages"][0]["text"] == "Where is my parcel?"
        assert (await client.get(f"/api/v1/history/{first}", headers=rival)).status_code == 404


async def test_the_history_finds_closed_chats_by_visitor_operator_date_and_text(settings: Settings) -> None:
    app = create_app_alone(settings)
    olga, ivan = operator(), operator(user_id="user-2", name="Ivan")
    boss = Identity(kind="user", account_id="acc-1", user_id="boss-1", role="supervisor", name="Sam")
    stranger = Identity(kind="user", account_id="acc-2", user_id="boss-2", role="admin", name="Mallory")
    async with running(app) as client:

        async def closed_chat(text: str, by: Identity, who: dict[str, str] | None) -> str:
            guest = visitor()
            if who:
                linked = await client.post(
                    "/internal/v1/contacts/identify", json=who, headers=as_identity(settings, guest)
                )
                assert linked.status_code == 204, linked.text
            started = await client.post(
                "/api/v1/conversations", json={"text": text}, headers=as_identity(settings, guest)
            )
            cid: str = started.json()["id"]
            assert (
                await client.post(f"/api/v1/conversations/{cid}/accept", headers=as_identity(settings, by))
            ).status_code == 200
            assert (
                await client.post(f"/api/v1/conversations/{cid}/close", headers=as_identity(settings, by))
            ).status_code == 200
            return cid

        refund = await closed_chat(
            "I want a REFUND for 100% of it", olga, {"user_id": "c1", "name": "Ana Lima", "email": "ana@example.com"}
        )
        parcel = await closed_chat("Where is my parcel_42?", ivan, {"user_id": "c2", "name": "Bruno"})
        quiet = await closed_chat("Hello", olga, None)
        still_open = await client.post(
            "/api/v1/conversations", json={"text": "refund please"}, headers=as_identity(settings, visitor())
        )
        assert still_open.status_code == 201

        async def found(caller: Identity, **query: str) -> list[str]:
            answer = await client.get("/api/v1/history", params=query, headers=as_identity(settings, caller))
            assert answer.status_code == 200, answer.text
            return [c["id"] for c in answer.json()["conversations"]]

        assert await found(boss) == [quiet, parcel, refund]  # closed only, newest first
        assert await found(boss, q="refund") == [refund]
        assert await found(boss, q="100%") == [refund] and await found(boss, q="1%") == []  # `%` is a character
        assert await found(boss, q="parcel_4") == [parcel] and await found(boss, q="p_rcel") == []
        assert await found(boss, visitor="ANA") == [refund] and await found(boss, visitor="example.com") == [refund]
        assert await found(boss, operator_id="user-2") == [parcel]
        tomorrow = (utcnow() + timedelta(days=1)).date().isoformat() + "T00:00:00"  # no zone: UTC
        assert await found(boss, since=tomorrow) == [] and len(await found(boss, until=tomorrow)) == 3
        assert await found(olga) == [quiet, refund] and await found(ivan, q="refund") == []  # their own chats only
        assert await found(stranger) == []
        page = (await client.get("/api/v1/history?limit=1&offset=1", headers=as_identity(settings, boss))).json()
        assert page["total"] == 3 and [c["id"] for c in page["conversations"]] == [parcel]
        assert (
            page["conversations"][0]["visitor_name"] == "Bruno" and page["conversations"][0]["operator_name"] == "Ivan"
        )
        for bad in (
            "limit=0",
            "limit=101",
            "offset=-1",
            "since=yesterday",
            "until=0.5",
            "since=2026-12-01",
            f"q={'x' * 201}",
            "operator_id=a%2Fb",
        ):
            answer = await client.get(f"/api/v1/history?{bad}", headers=as_identity(settings, boss))
            assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_error", bad
        transcript = await client.get(f"/api/v1/history/{parcel}", headers=as_identity(settings, ivan))
        assert transcript.status_code == 200 and transcript.json()["messages"][0]["text"] == "Where is my parcel_42?"
        assert (await client.get(f"/api/v1/history/{parcel}", headers=as_identity(settings, olga))).status_code == 404
        assert (
            await client.get(f"/api/v1/history/{parcel}", headers=as_identity(settings, stranger))
        ).status_code == 404


def create_app_alone(settings: Settings) -> FastAPI:
    return create_chat(settings)


async def test_erasing_a_visitor_forgets_their_contact_unless_another_visitor_still_has_it(settings: Settings) -> None:
    app = create_chat(settings)
    olga = operator()
    gone, twin, kept = visitor(), visitor(), visitor()
    async with running(app) as client:
        for guest, who in (
            (gone, {"user_id": "c1", "name": "Erin", "email": "erin@example.com"}),
            (twin, {"user_id": "c2", "name": "Tom", "phone": "+44 20 7946 0000"}),
            (kept, {"user_id": "c2", "name": "Tom"}),
        ):
            linked = await client.post("/internal/v1/contacts/identify", json=who, headers=as_identity(settings, guest))
            assert linked.status_code == 204, linked.text
        started = await client.post("/api/v1/conversations", json={"text": "Hi"}, headers=as_identity(settings, kept))
        cid = started.json()["id"]
        runtime = app.state.runtime
        for guest in (gone, twin):
            erased = VisitorErased(visitor_id=guest.visitor_id or "", erased_at=utcnow()).to_event("acc-1")
            await runtime.bus.publish_event(erased)

        async def forgotten() -> bool:
            async with runtime.db.reading() as conn:
                left = await conn.scalar(
                    select(func.count()).select_from(contacts).where(contacts.c.email.is_not(None))
                )
                links = await conn.scalar(select(func.count()).select_from(visitor_contacts))
            return left == 0 and links == 1

        assert await eventually(forgotten, 10), "the erased visitor's contact is still there"
        card = (await client.get(f"/api/v1/conversations/{cid}/contact", headers=as_identity(settings, olga))).json()
        assert card["contact"]["name"] == "Tom" and card["contact"]["phone"] == "+442079460000"  # still Tom's
