"""Tickets by email (OFF-1..3, EMB-7) through the gateway, on SQLite + memory bus and on PostgreSQL + Redis, with
a real SMTP server (aiosmtpd on a free port): the offline form becomes a ticket, the operator's answer arrives
by email, the visitor's emailed reply lands on the ticket; forged addresses and bad messages are refused; a
down SMTP server loses nothing; a chat becomes a ticket; transcripts arrive by email."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select

from services.chat.app import create_app as create_chat
from services.chat.models import mail_outbox
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.chat_client import visitor_session
from tests.helpers import BROWSER_UA, eventually, free_port
from tests.services.gateway_harness import ADMIN_KEY, bearer, login, second_account
from tests.services.test_queues import BASE

INBOUND_SECRET = "inbound-secret-for-tests-0123456789"
REPLY_DOMAIN = "reply.shop.example"


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@asynccontextmanager
async def smtp_server(port: int) -> AsyncIterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield inbox
    finally:
        await asyncio.to_thread(controller.stop)


@asynccontextmanager
async def chat_stack(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The gateway with chat in process, and chat's app (to read its mail outbox)."""
    settings = settings.model_copy(update={"public_url": BASE, "admin_api_key": ADMIN_KEY})
    bus = MemoryBus() if settings.redis_url is None else None
    chat = create_chat(settings, bus)
    app = create_gateway(settings, bus, {"chat": chat})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE, headers={"origin": BASE, "user-agent": BROWSER_UA}
        ) as client:
            yield client, chat


def mail_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "inbound_email_secret": INBOUND_SECRET,
            "mail_reply_domain": REPLY_DOMAIN,
        }
    )


async def visitor_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return {"authorization": f"Bearer {(await visitor_session(client))['visitor_token']}"}


async def offline_ticket(client: httpx.AsyncClient, visitor: dict[str, str], message: str) -> str:
    form = {"name": "<b>Ann</b>", "email": "ann@customer.example", "message": message}
    made = await client.post("/api/v1/tickets", json=form, headers=visitor)
    assert made.status_code == 201, made.text
    ticket_id: str = made.json()["id"]
    return ticket_id


def emailed_reply(to: str, text: str) -> bytes:
    return (
        f"From: Ann <ann@customer.example>\r\nTo: {to}\r\nSubject: Re: Where is my order?\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n\r\nOn Mon, 1 Dec 2026 at 10:00, Shop <no-reply@shop.example> wrote:\r\n> Your order ships today.\r\n"
    ).encode()


async def inbound(client: httpx.AsyncClient, raw: bytes, secret: str = INBOUND_SECRET) -> httpx.Response:
    headers = {"content-type": "message/rfc822", "x-floorwalker-inbound-secret": secret}
    return await client.post("/api/v1/inbound-email", content=raw, headers=headers)


async def ticket(client: httpx.AsyncClient, admin: dict[str, Any], ticket_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_offline_form_to_ticket_to_email_reply_and_back(settings: Settings) -> None:
    port = free_port()
    async with smtp_server(port) as inbox, chat_stack(mail_settings(settings, port)) as (client, _):
        visitor = await visitor_headers(client)
        ticket_id = await offline_ticket(client, visitor, "Where is my order?\nIt is late.")
        admin = await login(client)
        listed = (await client.get("/api/v1/tickets", params={"state": "open"}, headers=bearer(admin))).json()
        assert [t["id"] for t in listed["tickets"]] == [ticket_id]
        opened = await ticket(client, admin, ticket_id)
        assert opened["name"] == "<b>Ann</b>" and opened["subject"] == "Where is my order? It is late."
        assert opened["email_enabled"] is True
        assert [m["text"] for m in opened["messages"]] == ["Where is my order?\nIt is late."]

        answer = await client.post(
            f"/api/v1/tickets/{ticket_id}/replies", json={"text": "It ships <today>."}, headers=bearer(admin)
        )
        assert answer.status_code == 201 and answer.json()["email_status"] == "queued", answer.text
        assert await eventually(lambda: len(inbox.messages) == 1)
        [mail] = inbox.messages
        assert mail["To"] == "ann@customer.example" and mail["Subject"] == "Re: Where is my order? It is late."
        assert mail.get_content_type() == "text/plain"  # text stays text: never HTML
        assert "It ships <today>." in mail.get_content()
        reply_to = str(mail["Reply-To"])
        assert reply_to.startswith(f"ticket+{ticket_id}.") and reply_to.endswith(f"@{REPLY_DOMAIN}")

        async def sent() -> bool:
            return (await ticket(client, admin, ticket_id))["messages"][-1]["email_status"] == "sent"

        assert await eventually(sent)
        assert (await ticket(client, admin, ticket_id))["state"] == "answered"

        came = await inbound(client, emailed_reply(reply_to, "Thanks, got it!"))
        assert came.status_code == 201, came.text
        back = await ticket(client, admin, ticket_id)
        assert back["state"] == "open"
        assert back["messages"][-1] | {"id": None, "created_at": None} == {
            "id": None,
            "created_at": None,
            "sender_type": "visitor",
            "sender_name": "<b>Ann</b>",
            "channel": "email",
            "text": "Thanks, got it!",  # the quoted message it answers is cut off
            "email_status": None,
        }
        closed = await client.post(f"/api/v1/tickets/{ticket_id}/close", headers=bearer(admin))
        assert closed.status_code == 200 and closed.json()["state"] == "closed"
        assert len(inbox.messages) == 1  # sent once


async def test_forged_addresses_wrong_secrets_and_bad_messages_are_refused(settings: Settings) -> None:
    port = free_port()
    async with chat_stack(mail_settings(settings, port)) as (client, _):
        ticket_id = await offline_ticket(client, await visitor_headers(client), "Hello?")
        admin = await login(client)
        forged = await inbound(client, emailed_reply(f"ticket+{ticket_id}.0123456789abcdef@{REPLY_DOMAIN}", "Mine"))
        assert forged.status_code == 422 and forged.json()["error"]["code"] == "unknown_recipient"
        elsewhere = await inbound(client, emailed_reply("someone@else.test", "Mine"))
        assert elsewhere.status_code == 422
        wrong = await inbound(client, emailed_reply("x@y.test", "Mine"), secret="not-the-secret")
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "bad_inbound_secret"
        for garbage in (b"", b"\x00\xff\xfe not an email at all", b"no headers here\r\n"):
            refused = await inbound(client, garbage)
            assert 400 <= refused.status_code < 500, refused.text
            assert "error" in refused.json()
        huge = await inbound(client, b"To: a@b.test\r\n\r\n" + b"x" * 1_100_000)
        assert huge.status_code == 413
        assert [m["text"] for m in (await ticket(client, admin, ticket_id))["messages"]] == ["Hello?"]
        visitor = await client.post("/api/v1/tickets", json={"email": "not-an-email", "message": "x"}, headers={})
        assert visitor.status_code == 401
        bad_email = await client.post(
            "/api/v1/tickets", json={"email": "not-an-email", "message": "x"}, headers=await visitor_headers(client)
        )
        assert bad_email.status_code == 422


async def test_inbound_email_is_refused_when_not_configured(settings: Settings) -> None:
    async with chat_stack(settings) as (client, _):
        refused = await inbound(client, emailed_reply("x@y.test", "Mine"))
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "inbound_email_disabled"


async def test_a_reply_survives_the_smtp_server_being_down_and_arrives_once(settings: Settings) -> None:
    port = free_port()  # nothing listens there until the server starts below
    async with chat_stack(mail_settings(settings, port)) as (client, chat):
        ticket_id = await offline_ticket(client, await visitor_headers(client), "Anyone there?")
        admin = await login(client)
        answer = await client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"text": "Yes!"}, headers=bearer(admin))
        assert answer.status_code == 201
        runtime = chat.state.runtime

        async def outbox() -> dict[str, Any]:
            async with runtime.db.reading() as conn:
                row = (await conn.execute(select(mail_outbox))).mappings().one()
            return dict(row)

        async def failed() -> bool:
            row = await outbox()
            return bool(row["attempts"] >= 1 and row["last_error"] and row["sent_at"] is None)

        assert await eventually(failed), "the reply was never tried"
        async with smtp_server(port) as inbox:
            assert await eventually(lambda: len(inbox.messages) == 1, 30)

            async def recorded() -> bool:
                return (await outbox())["sent_at"] is not None

            assert await eventually(recorded)
            assert len(inbox.messages) == 1 and "Yes!" in inbox.messages[0].get_content()
        assert (await ticket(client, admin, ticket_id))["messages"][-1]["email_status"] == "sent"


async def test_a_visitor_who_will_not_wait_sends_the_chat_as_a_ticket_and_gets_transcripts(settings: Settings) -> None:
    port = free_port()
    async with smtp_server(port) as inbox, chat_stack(mail_settings(settings, port)) as (client, _):
        visitor = await visitor_headers(client)
        started = await client.post("/api/v1/conversations", json={"text": "My bike <i>is</i> broken"}, headers=visitor)
        assert started.status_code == 201, started.text
        conversation_id = started.json()["id"]
        admin = await login(client)
        assert (await client.post(f"/api/v1/conversations/{conversation_id}/accept", headers=bearer(admin))).is_success
        said = {"client_msg_id": "op-1", "text": "Which model?"}
        assert (
            await client.post(f"/api/v1/conversations/{conversation_id}/messages", json=said, headers=bearer(admin))
        ).is_success

        mailed = await client.post(
            f"/api/v1/conversations/{conversation_id}/transcript",
            json={"email": "bo@customer.example"},
            headers=visitor,
        )
        assert mailed.status_code == 202 and mailed.json() == {"status": "queued", "email_enabled": True}
        assert await eventually(lambda: len(inbox.messages) == 1)
        transcript = inbox.messages[0]
        assert transcript["To"] == "bo@customer.example" and transcript.get_content_type() == "text/plain"
        text = transcript.get_content()
        assert "You: My bike <i>is</i> broken" in text and ": Which model?" in text

        stranger = await visitor_headers(client)
        for path in ("transcript", "ticket"):
            refused = await client.post(
                f"/api/v1/conversations/{conversation_id}/{path}",
                json={"email": "x@customer.example"},
                headers=stranger,
            )
            assert refused.status_code == 404, refused.text

        made = await client.post(
            f"/api/v1/conversations/{conversation_id}/ticket",
            json={"email": "bo@customer.example", "name": "Bo"},
            headers=visitor,
        )
        assert made.status_code == 201, made.text
        again = await client.post(
            f"/api/v1/conversations/{conversation_id}/ticket", json={"email": "bo@customer.example"}, headers=visitor
        )
        assert again.status_code == 201 and again.json()["id"] == made.json()["id"]  # one ticket per chat
        conversation = await client.get(f"/api/v1/conversations/{conversation_id}", headers=bearer(admin))
        assert conversation.json()["state"] == "closed"
        made_ticket = await ticket(client, admin, made.json()["id"])
        assert made_ticket["origin"] == "chat" and made_ticket["conversation_id"] == conversation_id
        assert [(m["sender_type"], m["text"]) for m in made_ticket["messages"]] == [
            ("visitor", "My bike <i>is</i> broken"),
            ("operator", "Which model?"),
        ]
        assert made_ticket["subject"] == "My bike <i>is</i> broken"


async def test_mail_is_queued_and_the_api_says_so_when_smtp_is_not_configured(settings: Settings) -> None:
    async with chat_stack(settings) as (client, _):
        ticket_id = await offline_ticket(client, await visitor_headers(client), "Hello?")
        admin = await login(client)
        answer = await client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"text": "Hi"}, headers=bearer(admin))
        assert answer.status_code == 201
        shown = await ticket(client, admin, ticket_id)
        assert shown["email_enabled"] is False and shown["messages"][-1]["email_status"] == "queued"
        other = await client.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(await second_account(client)))
        assert other.status_code == 404
        listed = await client.get("/api/v1/tickets", params={"state": "answered"}, headers=bearer(admin))
        assert [t["id"] for t in listed.json()["tickets"]] == [ticket_id]
        assert (await client.get("/api/v1/tickets", params={"state": "nope"}, headers=bearer(admin))).status_code == 422

        visitor = await visitor_headers(client)
        started = await client.post("/api/v1/conversations", json={"text": "Hi"}, headers=visitor)
        path = f"/api/v1/conversations/{started.json()['id']}/transcript"
        answers = [(await client.post(path, json={"email": "x@customer.example"}, headers=visitor)) for _ in range(6)]
        assert [a.status_code for a in answers] == [202] * 5 + [409]  # no way to mail anyone at will
        assert answers[0].json()["email_enabled"] is False
        assert answers[-1].json()["error"]["code"] == "too_many_transcripts"


async def test_the_accounts_operators_hear_of_new_and_changed_tickets(settings: Settings) -> None:
    async with chat_stack(settings) as (client, chat):
        admin = await login(client)
        frames: list[dict[str, Any]] = []

        async def heard(channel: str, frame: dict[str, Any]) -> None:
            if str(frame.get("type", "")).startswith("ticket."):
                frames.append(frame)

        await chat.state.runtime.bus.subscribe(f"account:{admin['user']['account_id']}", heard)
        ticket_id = await offline_ticket(client, await visitor_headers(client), "Hello <there>")
        assert await eventually(lambda: bool(frames))  # (a frame may come twice: realtime is at least once)
        assert frames[0]["type"] == "ticket.created" and frames[0]["ticket"]["id"] == ticket_id
        assert frames[0]["ticket"]["subject"] == "Hello <there>" and frames[0]["ticket"]["state"] == "open"
        assert (await client.post(f"/api/v1/tickets/{ticket_id}/close", headers=bearer(admin))).status_code == 200
        assert await eventually(
            lambda: ("ticket.updated", "closed") in {(f["type"], f["ticket"]["state"]) for f in frames}
        )
