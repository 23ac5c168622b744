"""Data protection through the public API: the export and the erasure span tracking and chat."""

import asyncio
from typing import Any

import httpx

from services.common.settings import Settings
from tests.chat_client import login, next_frame, open_socket
from tests.services.test_visitor_edge import admin, bearer, edge, page, session

ADMIN_KEY = "installation-admin-key"


async def chat_with_a_reply(client: httpx.AsyncClient, visitor_token: str, operator: dict[str, str]) -> dict[str, Any]:
    """The visitor writes, an operator accepts and replies; returns the conversation."""
    started = await client.post(
        "/api/v1/conversations", json={"text": "Is the TV in stock?"}, headers=bearer(visitor_token)
    )
    assert started.status_code == 201, started.text
    conversation: dict[str, Any] = started.json()
    accepted = await client.post(f"/api/v1/conversations/{conversation['id']}/accept", headers=operator)
    assert accepted.status_code == 200, accepted.text
    reply = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"client_msg_id": "reply-1", "text": "Yes, two left."},
        headers=operator,
    )
    assert reply.status_code == 201, reply.text
    return conversation


async def conversations_in_chat(client: httpx.AsyncClient, staff: dict[str, str], visitor_id: str) -> list[Any]:
    response = await client.get("/api/v1/conversations/export", params={"visitor_id": visitor_id}, headers=staff)
    assert response.status_code == 200, response.text
    conversations: list[Any] = response.json()["conversations"]
    return conversations


async def until_no_conversations(client: httpx.AsyncClient, staff: dict[str, str], visitor_id: str) -> None:
    """The erasure reaches chat by an event: within seconds."""
    for _ in range(100):
        if not await conversations_in_chat(client, staff, visitor_id):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the conversations of {visitor_id} are still there")


async def other_accounts_admin(client: httpx.AsyncClient) -> dict[str, str]:
    created = await client.post(
        "/api/v1/accounts",
        json={
            "name": "Other",
            "admin_email": "boss@other.example",
            "admin_password": "long-password",
            "admin_name": "Boss",
        },
        headers={"x-admin-key": ADMIN_KEY},
    )
    assert created.status_code == 201, created.text
    tokens = await client.post("/api/v1/auth/login", json={"email": "boss@other.example", "password": "long-password"})
    return bearer(tokens.json()["access_token"])


async def test_an_admin_exports_a_visitor_with_conversations_then_erases_everything(settings: Settings) -> None:
    async with edge(settings, admin_api_key=ADMIN_KEY) as (base, client):
        staff, _ = await admin(client)
        olga = bearer((await login(client, "olga@demo.example"))["access_token"])
        guest = await session(client)
        token, visitor_id = guest["visitor_token"], guest["visitor_id"]
        pages = {"events": [page(base, "/"), page(base, "/tv")]}
        assert (await client.post("/api/v1/track/events", json=pages, headers=bearer(token))).status_code == 202
        conversation = await chat_with_a_reply(client, token, olga)

        path = f"/api/v1/visitors/{visitor_id}"
        exported = await client.get(f"{path}/export", headers=staff)
        assert exported.status_code == 200, exported.text
        body = exported.json()
        assert [v["id"] for v in body["visitors"]] == [visitor_id]
        assert [p["url"] for p in body["visits"][0]["pages"]] == [f"{base}/demo/", f"{base}/demo/tv"]
        [chat] = body["conversations"]
        assert chat["id"] == conversation["id"] and chat["visitor_id"] == visitor_id and chat["state"] == "active"
        assert [(m["seq"], m["sender_type"], m["text"]) for m in chat["messages"]] == [
            (1, "visitor", "Is the TV in stock?"),
            (2, "operator", "Yes, two left."),
        ]

        refused = await client.get(f"{path}/export", headers=olga)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "admins_only"
        assert (await client.get(f"{path}/export", headers=bearer(token))).status_code == 403
        assert (await client.get(f"{path}/export")).status_code == 401
        elsewhere = await client.get(f"{path}/export", headers=await other_accounts_admin(client))
        assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == "visitor_not_found"
        odd = await client.get("/api/v1/visitors/no%20such%20one/export", headers=staff)
        assert odd.status_code == 404

        assert (await client.delete(path, headers=olga)).status_code == 403
        olga_token = olga["authorization"].removeprefix("Bearer ")
        async with open_socket(base, "/ws/operator", olga_token) as console:
            await asyncio.sleep(0.2)  # subscribed
            assert (await client.delete(path, headers=staff)).status_code == 204
            # the open consoles drop the conversation at once
            removed = await next_frame(console, "conversation.removed")
            assert removed == {"type": "conversation.removed", "conversation_id": conversation["id"]}
        assert (await client.get(path, headers=staff)).status_code == 404
        assert (await client.get(f"{path}/export", headers=staff)).status_code == 404
        await until_no_conversations(client, staff, visitor_id)
        gone = await client.get(f"/api/v1/conversations/{conversation['id']}", headers=olga)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "conversation_not_found"
        messages = await client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=olga)
        assert messages.status_code == 404


async def test_a_contacts_export_has_the_conversations_of_all_its_visitors_and_erasing_it_deletes_them(
    settings: Settings,
) -> None:
    async with edge(settings) as (base, client):
        staff, _ = await admin(client)
        olga = bearer((await login(client, "olga@demo.example"))["access_token"])
        ana = {"user_id": "crm-7", "email": "ana@example.com", "name": "Ana"}
        visitors, conversations, contact_ids = [], [], set()
        for _ in range(2):  # the same person on two devices
            guest = await session(client)
            token = guest["visitor_token"]
            await client.post("/api/v1/track/events", json={"events": [page(base, "/")]}, headers=bearer(token))
            identified = await client.post("/api/v1/widget/identify", json=ana, headers=bearer(token))
            assert identified.status_code == 200, identified.text
            contact_ids.add(identified.json()["contact_id"])
            visitors.append(guest["visitor_id"])
            conversations.append((await chat_with_a_reply(client, token, olga))["id"])
        bystander = await session(client)
        kept = await chat_with_a_reply(client, bystander["visitor_token"], olga)
        [contact_id] = contact_ids

        exported = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=staff)
        assert exported.status_code == 200, exported.text
        body = exported.json()
        assert body["contact"]["email"] == "ana@example.com"
        assert sorted(v["id"] for v in body["visitors"]) == sorted(visitors)
        assert sorted(c["id"] for c in body["conversations"]) == sorted(conversations)
        assert all(len(c["messages"]) == 2 for c in body["conversations"])
        refused = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=olga)
        assert refused.status_code == 403

        assert (await client.delete(f"/api/v1/contacts/{contact_id}", headers=staff)).status_code == 204
        assert (await client.get(f"/api/v1/contacts/{contact_id}/export", headers=staff)).status_code == 404
        for visitor_id in visitors:
            await until_no_conversations(client, staff, visitor_id)
        assert (await client.get(f"/api/v1/conversations/{kept['id']}", headers=olga)).status_code == 200
