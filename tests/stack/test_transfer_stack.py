"""Who is in a conversation, over real sockets on the distributed stack (one process per service, PostgreSQL,
Redis): an operator hears nothing of a colleague's chat (SEC-2), then is invited into it, then gets it by a
transfer with a note (CHAT-6); a group conversation reaches each of its visitors (CHAT-7)."""

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from scripts.stack import Stack
from services.common.topology import METRICS_PORT_OFFSET, SERVICES
from tests.chat_client import login, open_socket, visitor_session
from tests.helpers import BROWSER_UA, eventually

pytestmark = pytest.mark.stack


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_offset() -> int:
    """A port offset at which every service's port and metrics port is free now."""
    for base in range(21000, 60000, 997):
        ports = [s.port + base for s in SERVICES] + [s.port + base + METRICS_PORT_OFFSET for s in SERVICES]
        if all(_free(port) for port in ports):
            return base
    raise RuntimeError("no free ports")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    tag = uuid.uuid4().hex[:8]
    running = Stack(
        database=f"fw_people_{tag}",
        port_offset=free_offset(),
        redis_prefix=f"fwpeople-{tag}",
        state_dir=Stack().state_dir / tag,
    )
    with running:
        yield running
    asyncio.run(running.drop_data())


class Heard:
    """Every frame a socket receives, read in the background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for text in self.ws:
                self.frames.append(json.loads(text))

    def of(self, kind: str, conversation_id: str) -> list[dict[str, Any]]:
        found = []
        for frame in self.frames:
            about = (frame.get("conversation") or {}).get("id") or (frame.get("message") or {}).get("conversation_id")
            if frame["type"] == kind and about == conversation_id:
                found.append(frame)
        return found

    async def soon(self, kind: str, conversation_id: str, text: str | None = None) -> dict[str, Any]:
        def match() -> list[dict[str, Any]]:
            return [f for f in self.of(kind, conversation_id) if text is None or f["message"]["text"] == text]

        assert await eventually(lambda: bool(match())), f"never got {kind} {text or ''}: {self.frames[-5:]}"
        return match()[-1]

    def send(self, conversation_id: str, text: str) -> Any:
        frame = {
            "type": "message.send",
            "conversation_id": conversation_id,
            "client_msg_id": uuid.uuid4().hex,
            "text": text,
        }
        return self.ws.send(json.dumps(frame))


@contextlib.asynccontextmanager
async def heard(base: str, path: str, token: str) -> AsyncIterator[Heard]:
    async with open_socket(base, path, token) as ws:
        listener = Heard(ws)
        try:
            yield listener
        finally:
            listener.task.cancel()


async def test_invite_transfer_and_group_chat_over_real_sockets(stack: Stack) -> None:
    base = stack.gateway_url
    async with httpx.AsyncClient(
        base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=15
    ) as client:
        olga, ivan = await login(client, "olga@demo.example"), await login(client, "ivan@demo.example")
        olga_h, ivan_h = ({"authorization": f"Bearer {who['access_token']}"} for who in (olga, ivan))
        for headers in (olga_h, ivan_h):
            online = await client.put("/api/v1/me/presence", json={"status": "online"}, headers=headers)
            assert online.status_code == 200, online.text
        guests = [await visitor_session(client) for _ in range(3)]
        for guest in guests:
            page = {"events": [{"type": "pageview", "url": f"{base}/demo/informatica/", "title": "Informática"}]}
            sent = await client.post(
                "/api/v1/track/events", json=page, headers={"authorization": f"Bearer {guest['visitor_token']}"}
            )
            assert sent.status_code == 202
        async with (
            heard(base, "/ws/operator", olga["access_token"]) as olga_ws,
            heard(base, "/ws/operator", ivan["access_token"]) as ivan_ws,
            heard(base, "/ws/visitor", guests[0]["visitor_token"]) as guest_ws,
        ):
            guest_h = {"authorization": f"Bearer {guests[0]['visitor_token']}"}
            cid = (await client.post("/api/v1/conversations", json={}, headers=guest_h)).json()["id"]
            await guest_ws.send(cid, "Where is my order?")
            await ivan_ws.soon("message.created", cid, "Where is my order?")  # waiting: any operator may take it
            assert (await client.post(f"/api/v1/conversations/{cid}/accept", headers=olga_h)).status_code == 200
            await olga_ws.send(cid, "Olga here: order 4111 ships today")
            await guest_ws.soon("message.created", cid, "Olga here: order 4111 ships today")
            await olga_ws.soon("message.created", cid, "Olga here: order 4111 ships today")
            # SEC-2: Ivan hears nothing of Olga's chat once she took it, and cannot read it
            assert not [f for f in ivan_ws.of("message.created", cid) if "4111" in f["message"]["text"]]
            assert (await client.get(f"/api/v1/conversations/{cid}/messages", headers=ivan_h)).status_code == 404

            invite = {"operator_id": ivan["user"]["id"], "note": "Can you check the courier?"}
            invited = await client.post(f"/api/v1/conversations/{cid}/participants", json=invite, headers=olga_h)
            assert invited.status_code == 200, invited.text
            assert (await ivan_ws.soon("conversation.invited", cid))["note"] == "Can you check the courier?"
            history = await client.get(f"/api/v1/conversations/{cid}/messages", headers=ivan_h)
            assert "Olga here: order 4111 ships today" in [m["text"] for m in history.json()["messages"]]
            await ivan_ws.send(cid, "Ivan: the courier is on his way")
            await guest_ws.soon("message.created", cid, "Ivan: the courier is on his way")
            await olga_ws.soon("message.created", cid, "Ivan: the courier is on his way")

            transfer = {"to_operator_id": ivan["user"]["id"], "note": "All yours, he may call back"}
            moved = await client.post(f"/api/v1/conversations/{cid}/transfer", json=transfer, headers=olga_h)
            assert moved.status_code == 200, moved.text
            assert moved.json()["assigned_user_id"] == ivan["user"]["id"]
            assert (await ivan_ws.soon("conversation.transferred", cid))["note"] == "All yours, he may call back"
            told = await guest_ws.soon("message.created", cid, "You are being connected to Ivan Petrov.")
            assert told["message"]["sender_type"] == "system"
            assert (await client.get(f"/api/v1/conversations/{cid}", headers=olga_h)).status_code == 404
            # by now a frame of Olga's message sent to Ivan before he was invited would have come
            assert not [f for f in ivan_ws.of("message.created", cid) if "4111" in f["message"]["text"]]

        async def known() -> bool:  # tracking stored them (behind the 202)
            answers = [await client.get(f"/api/v1/visitors/{g['visitor_id']}", headers=olga_h) for g in guests[1:]]
            return all(answer.status_code == 200 for answer in answers)

        assert await eventually(known, 30), "tracking never stored the visitors"
        async with (
            heard(base, "/ws/visitor", guests[1]["visitor_token"]) as first_ws,
            heard(base, "/ws/visitor", guests[2]["visitor_token"]) as second_ws,
        ):
            body = {"visitor_ids": [g["visitor_id"] for g in guests[1:]], "text": "Hello both!"}
            started = await client.post("/api/v1/group-conversations", json=body, headers=olga_h)
            assert started.status_code == 201, started.text
            gid = started.json()["id"]
            await first_ws.soon("message.created", gid, "Hello both!")
            await second_ws.soon("message.created", gid, "Hello both!")
            await first_ws.send(gid, "Count me in")
            said = await second_ws.soon("message.created", gid, "Count me in")
            assert said["message"]["sender_name"] == "Visitor 1"
            foreign = await client.post(
                "/api/v1/group-conversations",
                json={"visitor_ids": [guests[1]["visitor_id"], str(uuid.uuid4())], "text": "hi"},
                headers=olga_h,
            )
            assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "visitor_not_found"
            for bad in (
                [guests[1]["visitor_id"]] * 2,
                [guests[1]["visitor_id"]],
                ["not-an-id", guests[2]["visitor_id"]],
            ):
                refused = await client.post(
                    "/api/v1/group-conversations", json={"visitor_ids": bad, "text": "hi"}, headers=olga_h
                )
                assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error", bad
