"""The chat service on SQLite + memory bus and on PostgreSQL + Redis."""

import asyncio
from typing import Any

from sqlalchemy import func, select

from services.chat.app import create_app
from services.chat.models import conversations, messages, processed
from services.common.db import utcnow
from services.common.events import VisitorErased
from services.common.settings import Settings
from services.common.tokens import Identity
from tests.helpers import as_identity, operator, running, visitor


async def test_visitor_writes_before_any_operator_and_operator_gets_it_after_accepting(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    olga = operator()
    async with running(app) as client:
        started = await client.post(
            "/api/v1/conversations",
            json={"text": "Is the TV in stock?", "client_msg_id": "m1"},
            headers=as_identity(settings, guest),
        )
        assert started.status_code == 201, started.text
        conversation = started.json()
        assert conversation["state"] == "waiting" and conversation["last_seq"] == 1

        waiting = await client.get("/api/v1/conversations?state=waiting", headers=as_identity(settings, olga))
        assert [c["id"] for c in waiting.json()["conversations"]] == [conversation["id"]]

        accepted = await client.post(
            f"/api/v1/conversations/{conversation['id']}/accept", headers=as_identity(settings, olga)
        )
        assert accepted.json()["state"] == "active" and accepted.json()["assigned_user_name"] == "Olga"

        history = await client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=as_identity(settings, olga)
        )
        first = history.json()["messages"][0]
        assert first["text"] == "Is the TV in stock?" and first["sender_type"] == "visitor"
        assert first["created_at"] >= conversation["created_at"]


async def test_a_retried_message_is_stored_once_and_sequence_numbers_have_no_gaps(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        conv = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
        url = f"/api/v1/conversations/{conv['id']}/messages"
        first = await client.post(url, json={"client_msg_id": "a", "text": "hello"}, headers=headers)
        retry = await client.post(url, json={"client_msg_id": "a", "text": "hello"}, headers=headers)
        assert (first.status_code, retry.status_code) == (201, 200)
        assert first.json()["id"] == retry.json()["id"]
        results = await asyncio.gather(
            *(client.post(url, json={"client_msg_id": f"c{i}", "text": str(i)}, headers=headers) for i in range(10))
        )
        assert all(r.status_code == 201 for r in results)
        seqs = sorted(r.json()["seq"] for r in results)
        assert seqs == list(range(2, 12))
        after = (await client.get(f"{url}?after_seq=9", headers=headers)).json()["messages"]
        assert [m["seq"] for m in after] == [10, 11]


async def test_messages_are_fanned_out_to_the_visitor_and_the_account(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    received: dict[str, list[dict[str, Any]]] = {"visitor": [], "account": []}

    async def on_visitor(_: str, frame: dict[str, Any]) -> None:
        received["visitor"].append(frame)

    async def on_account(_: str, frame: dict[str, Any]) -> None:
        received["account"].append(frame)

    async with running(app) as client:
        bus = app.state.runtime.bus
        await bus.subscribe(f"visitor:{guest.visitor_id}", on_visitor)
        await bus.subscribe(f"account:{guest.account_id}", on_account)
        await asyncio.sleep(0.1)
        await client.post("/api/v1/conversations", json={"text": "hi"}, headers=as_identity(settings, guest))
        for _ in range(50):
            if len(received["visitor"]) >= 2 and len(received["account"]) >= 2:
                break
            await asyncio.sleep(0.05)
    kinds = [f["type"] for f in received["account"]]
    assert kinds == ["conversation.updated", "message.created"]
    assert received["visitor"][1]["message"]["text"] == "hi"


async def test_other_accounts_and_other_visitors_cannot_see_a_conversation(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        conv = (
            await client.post("/api/v1/conversations", json={"text": "private"}, headers=as_identity(settings, guest))
        ).json()
        stranger = operator(account_id="acc-2")
        other_guest = visitor()
        for identity in (stranger, other_guest):
            response = await client.get(
                f"/api/v1/conversations/{conv['id']}/messages", headers=as_identity(settings, identity)
            )
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "conversation_not_found"
        listed = await client.get("/api/v1/conversations?state=waiting", headers=as_identity(settings, stranger))
        assert listed.json()["conversations"] == []


async def test_bad_input_gets_clear_errors(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        headers = as_identity(settings, guest)
        conv = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
        url = f"/api/v1/conversations/{conv['id']}/messages"
        too_big = await client.post(url, json={"client_msg_id": "x", "text": "é" * 2049}, headers=headers)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "message_too_large"
        unknown_field = await client.post(url, json={"client_msg_id": "x", "text": "a", "html": "<b>"}, headers=headers)
        assert unknown_field.status_code == 422 and unknown_field.json()["error"]["details"][0]["field"] == "html"
        malformed = await client.post(
            url, content=b"{not json", headers={**headers, "content-type": "application/json"}
        )
        assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
        missing = await client.post(
            "/api/v1/conversations/nope/messages", json={"client_msg_id": "x", "text": "a"}, headers=headers
        )
        assert missing.status_code == 404
        anonymous = await client.get("/api/v1/conversations?state=waiting")
        assert anonymous.status_code == 401
        await client.post(f"/api/v1/conversations/{conv['id']}/close", headers=headers)
        closed = await client.post(url, json={"client_msg_id": "y", "text": "late"}, headers=headers)
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "conversation_closed"


def chat_admin(account_id: str = "acc-1") -> Identity:
    return operator(account_id=account_id, user_id="admin-1", name="Ada").model_copy(update={"role": "admin"})


async def test_an_admin_exports_a_visitors_conversations_of_the_own_account_only(settings: Settings) -> None:
    app = create_app(settings)
    guest, olga = visitor(), operator()
    twin = visitor(account_id="acc-2", visitor_id=guest.visitor_id)  # the same id in another account
    async with running(app) as client:
        first = (
            await client.post("/api/v1/conversations", json={"text": "hello"}, headers=as_identity(settings, guest))
        ).json()
        await client.post(f"/api/v1/conversations/{first['id']}/accept", headers=as_identity(settings, olga))
        await client.post(
            f"/api/v1/conversations/{first['id']}/messages",
            json={"client_msg_id": "r", "text": "hi, how can I help?"},
            headers=as_identity(settings, olga),
        )
        await client.post(f"/api/v1/conversations/{first['id']}/close", headers=as_identity(settings, guest))
        second = (
            await client.post("/api/v1/conversations", json={"text": "again"}, headers=as_identity(settings, guest))
        ).json()
        await client.post("/api/v1/conversations", json={"text": "not me"}, headers=as_identity(settings, twin))
        await client.post("/api/v1/conversations", json={"text": "other"}, headers=as_identity(settings, visitor()))

        url = f"/api/v1/conversations/export?visitor_id={guest.visitor_id}"
        refused = await client.get(url, headers=as_identity(settings, olga))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "admins_only"
        assert (await client.get(url, headers=as_identity(settings, guest))).status_code == 403
        exported = (await client.get(url, headers=as_identity(settings, chat_admin()))).json()
        assert exported["visitor_id"] == guest.visitor_id
        assert [c["id"] for c in exported["conversations"]] == [first["id"], second["id"]]
        assert [(m["seq"], m["text"]) for m in exported["conversations"][0]["messages"]] == [
            (1, "hello"),
            (2, "hi, how can I help?"),
        ]
        assert [m["text"] for m in exported["conversations"][1]["messages"]] == ["again"]
        elsewhere = (await client.get(url, headers=as_identity(settings, chat_admin("acc-2")))).json()
        assert [[m["text"] for m in c["messages"]] for c in elsewhere["conversations"]] == [["not me"]]
        nobody = await client.get(
            "/api/v1/conversations/export?visitor_id=nobody", headers=as_identity(settings, chat_admin())
        )
        assert nobody.json()["conversations"] == []
        assert (
            await client.get("/api/v1/conversations/export", headers=as_identity(settings, chat_admin()))
        ).status_code == 422


async def test_an_erased_visitors_conversations_and_messages_are_deleted_in_that_account(settings: Settings) -> None:
    app = create_app(settings)
    guest, other = visitor(), visitor()
    twin = visitor(account_id="acc-2", visitor_id=guest.visitor_id)
    async with running(app) as client:
        mine = []
        for text in ("one", "two"):
            conv = (
                await client.post("/api/v1/conversations", json={"text": text}, headers=as_identity(settings, guest))
            ).json()
            await client.post(f"/api/v1/conversations/{conv['id']}/close", headers=as_identity(settings, guest))
            mine.append(conv["id"])
        kept = [
            (await client.post("/api/v1/conversations", json={"text": "x"}, headers=as_identity(settings, who))).json()
            for who in (other, twin)
        ]
        runtime = app.state.runtime
        erased = VisitorErased(visitor_id=guest.visitor_id or "", erased_at=utcnow()).to_event("acc-1")
        await runtime.bus.publish_event(erased)
        await runtime.bus.publish_event(erased)  # delivered twice: handled once

        async def left() -> int:
            async with runtime.db.reading() as session:
                return int(
                    await session.scalar(
                        select(func.count()).select_from(conversations).where(conversations.c.id.in_(mine))
                    )
                    or 0
                )

        for _ in range(100):
            if await left() == 0:
                break
            await asyncio.sleep(0.05)
        assert await left() == 0
        async with runtime.db.reading() as session:
            orphans = await session.scalar(
                select(func.count()).select_from(messages).where(messages.c.conversation_id.in_(mine))
            )
            handled = await session.scalar(select(func.count()).select_from(processed))
        assert orphans == 0 and handled == 1
        for conv, who in zip(kept, (other, twin), strict=True):
            still = await client.get(f"/api/v1/conversations/{conv['id']}/messages", headers=as_identity(settings, who))
            assert [m["text"] for m in still.json()["messages"]] == ["x"]
        gone = await client.get(f"/api/v1/conversations/{mine[0]}", headers=as_identity(settings, operator()))
        assert gone.status_code == 404
        again = await client.post("/api/v1/conversations", json={"text": "back"}, headers=as_identity(settings, guest))
        assert again.status_code == 201
