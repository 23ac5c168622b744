"""Edit, retract and quote messages (CHAT-5): the chat service alone, and through the gateway's real sockets."""

import json
from typing import Any

import httpx

from services.chat.app import create_app
from services.common.settings import Settings
from services.common.tokens import Identity
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import as_identity, operator, running, visitor
from tests.services.test_gateway import gateway


def supervisor() -> Identity:
    return Identity(kind="user", account_id="acc-1", user_id="boss-1", role="supervisor", name="Sam")


async def chat_with_operator_reply(
    client: httpx.AsyncClient, settings: Settings, guest: Identity, olga: Identity
) -> tuple[str, dict[str, Any]]:
    started = await client.post(
        "/api/v1/conversations", json={"text": "Do you ship to Lisbon?"}, headers=as_identity(settings, guest)
    )
    cid = started.json()["id"]
    assert (
        await client.post(f"/api/v1/conversations/{cid}/accept", headers=as_identity(settings, olga))
    ).status_code == 200
    reply = await client.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"client_msg_id": "o1", "text": "Yes, in 5 days, for 99 EUR"},
        headers=as_identity(settings, olga),
    )
    assert reply.status_code == 201, reply.text
    return cid, reply.json()


async def test_the_author_edits_and_retracts_and_a_supervisor_reads_every_version(settings: Settings) -> None:
    app = create_app(settings)
    guest, olga, boss = visitor(), operator(), supervisor()
    async with running(app) as client:
        cid, reply = await chat_with_operator_reply(client, settings, guest, olga)
        url = f"/api/v1/conversations/{cid}/messages/{reply['id']}"
        edited = await client.patch(
            url, json={"text": "Yes, in 5 days, for 9 EUR"}, headers=as_identity(settings, olga)
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["text"] == "Yes, in 5 days, for 9 EUR" and edited.json()["revision"] == 1
        assert edited.json()["edited_at"] and edited.json()["seq"] == reply["seq"]

        seen = (await client.get(f"/api/v1/conversations/{cid}/messages", headers=as_identity(settings, guest))).json()
        assert [m["text"] for m in seen["messages"]] == ["Do you ship to Lisbon?", "Yes, in 5 days, for 9 EUR"]

        retracted = await client.delete(url, headers=as_identity(settings, olga))
        assert retracted.status_code == 200 and retracted.json()["retracted_at"] and retracted.json()["text"] == ""
        again = await client.delete(url, headers=as_identity(settings, olga))
        assert again.status_code == 200 and again.json()["revision"] == 2  # retracting twice changes nothing
        for reader in (guest, olga):
            listed = await client.get(f"/api/v1/conversations/{cid}/messages", headers=as_identity(settings, reader))
            assert "EUR" not in listed.text, "a retracted message's text is gone"
        refused_edit = await client.patch(url, json={"text": "back"}, headers=as_identity(settings, olga))
        assert (refused_edit.status_code, refused_edit.json()["error"]["code"]) == (409, "message_retracted")

        history = await client.get(f"{url}/history", headers=as_identity(settings, boss))
        assert history.status_code == 200, history.text
        versions = history.json()["versions"]
        assert [(v["action"], v["text"], v["by_name"]) for v in versions] == [
            ("created", "Yes, in 5 days, for 99 EUR", "Olga"),
            ("edited", "Yes, in 5 days, for 9 EUR", "Olga"),
            ("retracted", "", "Olga"),
        ]
        for nosy in (olga, guest):
            assert (await client.get(f"{url}/history", headers=as_identity(settings, nosy))).status_code == 403

        # a resume after seq 2 hears of the change to message 2 (`changed`)
        resumed = await client.get(
            f"/api/v1/conversations/{cid}/messages?after_seq=2&changes=true", headers=as_identity(settings, guest)
        )
        assert resumed.json()["messages"] == []
        assert [(m["seq"], m["text"], m["revision"]) for m in resumed.json()["changed"]] == [(2, "", 2)]


async def test_only_the_author_or_a_manager_changes_an_operator_message_and_bad_input_is_a_4xx(
    settings: Settings,
) -> None:
    app = create_app(settings)
    guest, olga, boss = visitor(), operator(), supervisor()
    ivan = operator(user_id="user-2", name="Ivan")
    stranger = operator(account_id="acc-2", user_id="user-9", name="Mallory")
    async with running(app) as client:
        cid, reply = await chat_with_operator_reply(client, settings, guest, olga)
        messages_url = f"/api/v1/conversations/{cid}/messages"
        url = f"{messages_url}/{reply['id']}"
        first = (await client.get(messages_url, headers=as_identity(settings, olga))).json()["messages"][0]

        def status(answer: httpx.Response) -> tuple[int, str]:
            return answer.status_code, answer.json()["error"]["code"]

        assert status(await client.patch(url, json={"text": "x"}, headers=as_identity(settings, ivan)))[0] == 404
        assert status(await client.patch(url, json={"text": "x"}, headers=as_identity(settings, stranger)))[0] == 404
        assert status(await client.delete(url, headers=as_identity(settings, stranger)))[0] == 404
        visitor_url = f"{messages_url}/{first['id']}"
        assert status(await client.patch(visitor_url, json={"text": "x"}, headers=as_identity(settings, olga))) == (
            403,
            "not_an_operator_message",
        )
        assert status(await client.delete(url, headers=as_identity(settings, guest)))[0] == 403
        assert status(await client.patch(url, json={"text": ""}, headers=as_identity(settings, olga)))[0] == 422
        assert status(await client.patch(url, json={"text": "   "}, headers=as_identity(settings, olga))) == (
            422,
            "empty_text",
        )
        too_long = {"text": "x" * (settings.max_message_bytes + 1)}
        assert status(await client.patch(url, json=too_long, headers=as_identity(settings, olga))) == (
            413,
            "message_too_large",
        )
        unknown = f"{messages_url}/0190a0b0-0000-7000-8000-000000000000"
        assert status(await client.patch(unknown, json={"text": "x"}, headers=as_identity(settings, olga))) == (
            404,
            "message_not_found",
        )
        # a supervisor corrects Olga's message
        fixed = await client.patch(url, json={"text": "Yes, in 5 days"}, headers=as_identity(settings, boss))
        assert fixed.status_code == 200 and fixed.json()["text"] == "Yes, in 5 days"
        listed = (await client.get(messages_url, headers=as_identity(settings, guest))).json()["messages"]
        assert [m["revision"] for m in listed] == [0, 1]


async def test_a_reply_quotes_an_earlier_message_of_its_own_conversation_only(settings: Settings) -> None:
    app = create_app(settings)
    guest, other_guest, olga = visitor(), visitor(), operator()
    async with running(app) as client:
        cid, reply = await chat_with_operator_reply(client, settings, guest, olga)
        other = await client.post(
            "/api/v1/conversations", json={"text": "Hi"}, headers=as_identity(settings, other_guest)
        )
        other_id = other.json()["id"]
        url = f"/api/v1/conversations/{cid}/messages"
        quoted = await client.post(
            url,
            json={"client_msg_id": "v2", "text": "Great!", "quote_seq": reply["seq"]},
            headers=as_identity(settings, guest),
        )
        assert quoted.status_code == 201 and quoted.json()["quote_seq"] == reply["seq"]
        for bad in (99, quoted.json()["seq"] + 1, 0):
            answer = await client.post(
                url,
                json={"client_msg_id": f"bad{bad}", "text": "?", "quote_seq": bad},
                headers=as_identity(settings, guest),
            )
            assert answer.status_code == 422, answer.text
        # seq 1 exists in the other conversation, but a quote is of this one: seq 1 here is the visitor's own first
        across = await client.post(
            f"/api/v1/conversations/{other_id}/messages",
            json={"client_msg_id": "x1", "text": "?", "quote_seq": 2},
            headers=as_identity(settings, other_guest),
        )
        assert (across.status_code, across.json()["error"]["code"]) == (422, "quote_not_found")
        listed = (await client.get(url, headers=as_identity(settings, olga))).json()["messages"]
        assert [m["quote_seq"] for m in listed] == [None, None, 2]


async def test_edits_reach_both_sockets_at_once_and_a_resume_brings_the_current_text(settings: Settings) -> None:
    async with gateway(settings) as (base, client):
        olga = await login(client, "olga@demo.example")
        op_headers = {"authorization": f"Bearer {olga['access_token']}"}
        guest = await visitor_session(client)
        guest_headers = {"authorization": f"Bearer {guest['visitor_token']}"}
        async with (
            open_socket(base, "/ws/operator", olga["access_token"]) as op_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
        ):
            started = await client.post("/api/v1/conversations", json={"text": "Price?"}, headers=guest_headers)
            cid = started.json()["id"]
            assert (await client.post(f"/api/v1/conversations/{cid}/accept", headers=op_headers)).status_code == 200
            await op_ws.send(
                json.dumps(
                    {"type": "message.send", "conversation_id": cid, "client_msg_id": "o1", "text": "It is 100 EUR"}
                )
            )
            sent = (await next_frame(op_ws, "message.ack"))["message"]
            await v_ws.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "conversation_id": cid,
                        "client_msg_id": "v2",
                        "text": "OK",
                        "quote_seq": 2,
                    }
                )
            )
            assert (await next_frame(v_ws, "message.ack"))["message"]["quote_seq"] == 2
            url = f"/api/v1/conversations/{cid}/messages/{sent['id']}"
            edited = await client.patch(url, json={"text": "It is 10 EUR"}, headers=op_headers)
            assert edited.status_code == 200, edited.text
            for ws in (v_ws, op_ws):
                frame = (await next_frame(ws, "message.updated"))["message"]
                assert (frame["id"], frame["text"], frame["revision"]) == (sent["id"], "It is 10 EUR", 1)
        # the visitor was away while the operator retracted it: the resume brings the change
        assert (await client.delete(url, headers=op_headers)).status_code == 200
        async with open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws:
            await v_ws.send(json.dumps({"type": "resume", "conversation_id": cid, "after_seq": 3}))
            changed = (await next_frame(v_ws, "message.updated"))["message"]
            assert (changed["seq"], changed["text"], changed["retracted_at"] is not None) == (2, "", True)
            assert (await next_frame(v_ws, "resume.done"))["last_seq"] == 3
