"""Typing indicators both ways, sneak-peek and read marks (CHAT-4, EMB-8) over real sockets: the gateway with
chat behind it, on SQLite + memory bus and PostgreSQL + Redis."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, free_port, live_server
from tests.services.gateway_harness import ADMIN_KEY, second_account


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    settings.admin_api_key = ADMIN_KEY
    bus = MemoryBus() if settings.redis_url is None else None
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        headers = {"origin": base, "user-agent": BROWSER_UA}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=20) as client:
            yield base, client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def send(ws: ClientConnection, **frame: Any) -> None:
    await ws.send(json.dumps(frame))


async def joined(*sockets: ClientConnection) -> None:
    """Until each socket has joined its channels: `auth.ok` comes before the joins, a frame is read only after."""
    for ws in sockets:
        await send(ws, type="ping")
        await next_frame(ws, "pong")


async def frames_within(ws: ClientConnection, kind: str, seconds: float = 0.6) -> list[dict[str, Any]]:
    """Every frame of `kind` the socket gets within `seconds`."""
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == kind:
                    found.append(frame)
    except TimeoutError:
        pass
    return found


async def watching(ws: ClientConnection, user_id: str) -> None:
    """Until the conversation's update naming `user_id` as a watcher reaches the socket: the frame that also tells
    the gateway's typing audiences of the change (published after chat's answer, from its outbox)."""
    async with asyncio.timeout(5):
        while True:
            frame = await next_frame(ws, "conversation.updated")
            roles = {(p["user_id"], p["role"]) for p in frame["conversation"].get("participants", [])}
            if (user_id, "watching") in roles:
                return


async def accepted_chat(client: httpx.AsyncClient, guest: dict[str, Any], operator: dict[str, Any]) -> str:
    started = await client.post(
        "/api/v1/conversations", json={"text": "Hello?", "client_msg_id": "v0"}, headers=bearer(guest["visitor_token"])
    )
    assert started.status_code == 201, started.text
    cid: str = started.json()["id"]
    answer = await client.post(f"/api/v1/conversations/{cid}/accept", headers=bearer(operator["access_token"]))
    assert answer.status_code == 200, answer.text
    return cid


async def test_typing_goes_both_ways_and_the_draft_only_to_the_operators_in_the_chat(settings: Settings) -> None:
    settings.ws_typing_per_10s = 8
    async with gateway(settings) as (base, client):
        olga, ivan = await login(client, "olga@demo.example"), await login(client, "ivan@demo.example")
        admin, stranger = await login(client), await second_account(client)
        guest = await visitor_session(client)
        assert guest["site"]["sneak_peek"] is True
        async with (
            open_socket(base, "/ws/operator", olga["access_token"]) as olga_ws,
            open_socket(base, "/ws/operator", ivan["access_token"]) as ivan_ws,
            open_socket(base, "/ws/operator", admin["access_token"]) as admin_ws,
            open_socket(base, "/ws/operator", stranger["access_token"]) as stranger_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
        ):
            await joined(olga_ws, ivan_ws, admin_ws, stranger_ws, v_ws)
            cid = await accepted_chat(client, guest, olga)
            await send(v_ws, type="typing", conversation_id=cid, draft="I would like to ret")
            seen = await next_frame(olga_ws, "conversation.typing")
            assert seen == {
                "type": "conversation.typing",
                "conversation_id": cid,
                "from": "visitor",
                "visitor_id": guest["visitor_id"],
                "draft": "I would like to ret",
                "typing": True,
            }
            assert await frames_within(ivan_ws, "conversation.typing") == []  # an operator not in the chat
            assert await frames_within(admin_ws, "conversation.typing", 0.1) == []  # a manager not in it either
            assert await frames_within(stranger_ws, "conversation.typing", 0.1) == []  # another account
            watched = await client.post(f"/api/v1/conversations/{cid}/watch", headers=bearer(admin["access_token"]))
            assert watched.status_code == 200, watched.text
            await watching(admin_ws, admin["user"]["id"])  # the gateway learns of it as the console does
            await send(v_ws, type="typing", conversation_id=cid, draft="I would like to return")
            assert (await next_frame(admin_ws, "conversation.typing"))["draft"] == "I would like to return"  # watching
            assert (await next_frame(olga_ws, "conversation.typing"))["draft"] == "I would like to return"

            await send(v_ws, type="typing", conversation_id=cid, draft="x" * 2000)
            assert len((await next_frame(olga_ws, "conversation.typing"))["draft"]) == 500  # cut to a sane length
            await send(v_ws, type="typing", conversation_id=cid, typing=False)
            stopped = await next_frame(olga_ws, "conversation.typing")
            assert stopped["typing"] is False and "draft" not in stopped

            await send(olga_ws, type="typing", conversation_id=cid)
            theirs = await next_frame(v_ws, "conversation.typing")
            assert (theirs["from"], theirs["name"], theirs["typing"]) == ("operator", "Olga Souza", True)
            assert "draft" not in theirs

            # bad frames: a clear error frame each, the socket stays open
            await send(ivan_ws, type="typing", conversation_id=cid)
            assert (await next_frame(ivan_ws, "error"))["code"] == "conversation_not_found"
            await send(stranger_ws, type="typing", conversation_id=cid)  # another account's chat: as if none
            assert (await next_frame(stranger_ws, "error"))["code"] == "conversation_not_found"
            await send(admin_ws, type="typing", conversation_id=cid)  # a watcher is silent
            assert (await next_frame(admin_ws, "error"))["code"] == "conversation_not_found"
            assert await frames_within(v_ws, "conversation.typing", 0.2) == []
            await send(olga_ws, type="typing", conversation_id=cid, draft="operators have no sneak-peek")
            refused = await next_frame(olga_ws, "error")
            assert (refused["code"], refused["message"]) == (
                "invalid_frame",
                "typing: only a visitor's frame has a draft.",
            )
            await send(v_ws, type="typing")
            assert (await next_frame(v_ws, "error"))["code"] == "invalid_frame"
            await send(v_ws, type="typing", conversation_id=cid, draft=["not", "text"])
            assert (await next_frame(v_ws, "error"))["message"] == "typing: `draft` is text."
            await send(v_ws, type="read", conversation_id=cid, seq="1")
            assert (await next_frame(v_ws, "error"))["message"] == "read needs a seq from 0 to 2^53-1."
            # 8 per 10 s per socket, in windows of the clock: 17 at once put at least 9 in one window, wherever
            # a window ends (4 above were counted too, and stay under 3 x 8, where the socket would be closed)
            for _ in range(17):
                await send(v_ws, type="typing", conversation_id=cid, draft="again")
            limited = await next_frame(v_ws, "error")
            assert limited["code"] == "rate_limited" and limited["retryable"] is True

        history = await client.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(olga["access_token"]))
        assert [m["text"] for m in history.json()["messages"]] == ["Hello?"]  # drafts are never stored


async def test_with_sneak_peek_off_operators_get_only_that_the_visitor_types(settings: Settings) -> None:
    async with gateway(settings) as (base, client):
        admin, olga = await login(client), await login(client, "olga@demo.example")
        (site,) = (await client.get("/api/v1/sites", headers=bearer(admin["access_token"]))).json()["sites"]
        assert site["privacy"]["sneak_peek"] is True
        for wrong in ("no", 0, None):  # a switch is true or false, nothing that looks like one
            refused = await client.patch(
                f"/api/v1/sites/{site['id']}",
                json={"privacy": {**site["privacy"], "sneak_peek": wrong}},
                headers=bearer(admin["access_token"]),
            )
            assert refused.status_code == 422, refused.text
            error = refused.json()["error"]
            assert error["code"] == "validation_error"
            assert [d["field"] for d in error["details"]] == ["privacy.sneak_peek"]
        olga_patch = await client.patch(
            f"/api/v1/sites/{site['id']}",
            json={"privacy": {**site["privacy"], "sneak_peek": False}},
            headers=bearer(olga["access_token"]),
        )
        assert olga_patch.status_code == 403  # an operator may not change it
        privacy = {**site["privacy"], "sneak_peek": False}
        changed = await client.patch(
            f"/api/v1/sites/{site['id']}", json={"privacy": privacy}, headers=bearer(admin["access_token"])
        )
        assert changed.status_code == 200 and changed.json()["privacy"]["sneak_peek"] is False
        other = await client.patch(  # a privacy change that does not name the switch leaves it off
            f"/api/v1/sites/{site['id']}", json={"privacy": {"honor_dnt": False}}, headers=bearer(admin["access_token"])
        )
        assert other.status_code == 200 and other.json()["privacy"]["sneak_peek"] is False
        guest = await visitor_session(client)
        assert guest["site"]["sneak_peek"] is False  # the widget is told to send no draft
        async with (
            open_socket(base, "/ws/operator", olga["access_token"]) as olga_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
        ):
            await joined(olga_ws, v_ws)
            cid = await accepted_chat(client, guest, olga)
            await send(v_ws, type="typing", conversation_id=cid, draft="my private text")  # an old widget sends it
            seen = await next_frame(olga_ws, "conversation.typing")
            assert seen["typing"] is True and "draft" not in seen


async def test_read_marks_are_stored_announced_and_sent_again_on_resume_only_for_participants(
    settings: Settings,
) -> None:
    async with gateway(settings) as (base, client):
        olga, ivan = await login(client, "olga@demo.example"), await login(client, "ivan@demo.example")
        stranger = await second_account(client)
        guest, other_guest = await visitor_session(client), await visitor_session(client)
        async with (
            open_socket(base, "/ws/operator", olga["access_token"]) as olga_ws,
            open_socket(base, "/ws/operator", ivan["access_token"]) as ivan_ws,
            open_socket(base, "/ws/operator", stranger["access_token"]) as stranger_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
            open_socket(base, "/ws/visitor", other_guest["visitor_token"]) as other_ws,
        ):
            await joined(olga_ws, ivan_ws, stranger_ws, v_ws, other_ws)
            cid = await accepted_chat(client, guest, olga)
            await send(v_ws, type="message.send", conversation_id=cid, client_msg_id="v1", text="Do you ship?")
            assert (await next_frame(v_ws, "message.ack"))["message"]["seq"] == 2
            await send(olga_ws, type="read", conversation_id=cid, seq=99)  # beyond the last message: cut to it
            read = await next_frame(v_ws, "conversation.read")
            assert read == {
                "type": "conversation.read",
                "conversation_id": cid,
                "reader": "operator",
                "reader_id": olga["user"]["id"],
                "seq": 2,
            }
            await send(olga_ws, type="read", conversation_id=cid, seq=1)  # backwards: nothing changes
            assert await frames_within(v_ws, "conversation.read", 0.4) == []
            await send(olga_ws, type="message.send", conversation_id=cid, client_msg_id="o1", text="We do.")
            assert (await next_frame(olga_ws, "message.ack"))["message"]["seq"] == 3
            await send(v_ws, type="read", conversation_id=cid, seq=3)
            seen = await next_frame(olga_ws, "conversation.read")
            assert (seen["reader"], seen["reader_id"], seen["seq"]) == ("visitor", guest["visitor_id"], 3)
            assert (await next_frame(v_ws, "conversation.read"))["reader"] == "visitor"  # their other tabs learn it

            # who is not in the conversation marks nothing: another account, another visitor (as if it did not
            # exist), an operator of the account who is not in it (nothing stored, nothing announced)
            for outsider in (stranger_ws, other_ws, ivan_ws):
                await send(outsider, type="read", conversation_id=cid, seq=3)
            for outsider in (stranger_ws, other_ws, ivan_ws):
                assert (await next_frame(outsider, "error"))["code"] == "conversation_not_found"
            assert await frames_within(v_ws, "conversation.read", 0.3) == []
            await send(other_ws, type="resume", conversation_id=cid, after_seq=0)  # nor learns the marks
            assert (await next_frame(other_ws, "error"))["code"] == "conversation_not_found"

        async with open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws:  # a reconnect resumes by seq
            await send(v_ws, type="resume", conversation_id=cid, after_seq=3)
            marks = await frames_within(v_ws, "conversation.read", 1.0)
            assert sorted((m["reader"], m["reader_id"], m["seq"]) for m in marks) == [
                ("operator", olga["user"]["id"], 2),
                ("visitor", guest["visitor_id"], 3),
            ]
