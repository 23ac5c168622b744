"""Transfer, invite and group chat (CHAT-6, CHAT-7) end to end on the distributed stack: one process per service,
PostgreSQL and Redis, every frame read from real `/ws/operator` and `/ws/visitor` sockets, every call through
the gateway. The demo account's chats enter a "Front" queue (Olga's) and it has a "Billing" queue (Quinn's); a
second company's admin is the foreign operator of the refusals. One stack for the module."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from scripts.stack import Stack
from tests.chat_client import visitor_session
from tests.helpers import BROWSER_UA, eventually
from tests.services.gateway_harness import ADMIN_KEY, bearer, invite, login, second_account
from tests.stack.test_transfer_stack import Heard, free_offset, heard

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    tag = uuid.uuid4().hex[:8]
    running = Stack(
        database=f"fw_routing_{tag}",
        port_offset=free_offset(),
        redis_prefix=f"fwrouting-{tag}",
        state_dir=Stack().state_dir / tag,
        extra_env={"ADMIN_API_KEY": ADMIN_KEY},
    )
    with running:
        yield running
    asyncio.run(running.drop_data())


@dataclass
class Floor:
    """The demo account on the stack: its people's tokens, its queues, and a foreign company's admin."""

    client: httpx.AsyncClient
    people: dict[str, dict[str, Any]]
    queues: dict[str, str]

    def id_of(self, name: str) -> str:
        user_id: str = self.people[name]["user"]["id"]
        return user_id

    def token(self, name: str) -> str:
        token: str = self.people[name]["access_token"]
        return token

    def headers(self, name: str) -> dict[str, str]:
        return bearer(self.people[name])

    async def visitor(self) -> tuple[dict[str, Any], dict[str, str]]:
        guest = await visitor_session(self.client)
        return guest, {"authorization": f"Bearer {guest['visitor_token']}"}

    async def chat_with_olga(self, guest_headers: dict[str, str], text: str) -> str:
        """The visitor writes; the Front queue offers the chat to Olga at once, and she accepts it."""
        started = await self.client.post("/api/v1/conversations", json={"text": text}, headers=guest_headers)
        assert started.status_code == 201, started.text
        assert started.json()["offered_user_id"] == self.id_of("olga"), started.json()
        cid: str = started.json()["id"]
        accepted = await self.client.post(f"/api/v1/conversations/{cid}/accept", headers=self.headers("olga"))
        assert accepted.status_code == 200, accepted.text
        return cid

    async def seen_by(self, name: str, cid: str) -> httpx.Response:
        return await self.client.get(f"/api/v1/conversations/{cid}", headers=self.headers(name))

    async def texts(self, name: str, cid: str) -> list[str]:
        answer = await self.client.get(f"/api/v1/conversations/{cid}/messages", headers=self.headers(name))
        assert answer.status_code == 200, answer.text
        return [m["text"] for m in answer.json()["messages"]]

    async def close(self, name: str, cid: str) -> None:
        """Close a chat at the end of a test: the operators' load is back to what the next test expects."""
        closed = await self.client.post(f"/api/v1/conversations/{cid}/close", headers=self.headers(name))
        assert closed.status_code == 200, closed.text


MADE: dict[str, tuple[dict[str, dict[str, Any]], dict[str, str]]] = {}  # per stack: logins and queues, made once


async def _make(client: httpx.AsyncClient) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    admin = await login(client)
    assert (await invite(client, admin, "quinn@demo.example")).status_code == 201
    people = {
        "admin": admin,
        "olga": await login(client, "olga@demo.example"),
        "ivan": await login(client, "ivan@demo.example"),
        "quinn": await login(client, "quinn@demo.example", "a-password"),
        "foreign": await second_account(client),
    }
    for name in ("olga", "ivan", "quinn", "foreign"):
        online = await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(people[name]))
        assert online.status_code == 200, online.text
    queues = {}
    for name, member, priority in (("Front", "olga", 0), ("Billing", "quinn", 5)):
        body = {"name": name, "priority": priority, "members": [{"user_id": people[member]["user"]["id"]}]}
        made = await client.post("/api/v1/queues", json=body, headers=bearer(admin))
        assert made.status_code == 201, made.text
        queues[name] = made.json()["id"]
    return people, queues


@asynccontextmanager
async def floor(stack: Stack) -> AsyncIterator[Floor]:
    base = stack.gateway_url
    headers = {"origin": base, "user-agent": BROWSER_UA}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=15) as client:
        if stack.database not in MADE:
            MADE[stack.database] = await _make(client)
        people, queues = MADE[stack.database]
        yield Floor(client, people, queues)


def texts_heard(listener: Heard, cid: str) -> list[str]:
    return [f["message"]["text"] for f in listener.of("message.created", cid)]


async def test_a_transfer_hands_the_chat_over_with_its_note_and_history_and_tells_the_visitor_politely(
    stack: Stack,
) -> None:
    base = stack.gateway_url
    async with floor(stack) as f:
        guest, guest_h = await f.visitor()
        other, other_h = await f.visitor()
        async with (
            heard(base, "/ws/operator", f.token("olga")) as olga_ws,
            heard(base, "/ws/operator", f.token("ivan")) as ivan_ws,
            heard(base, "/ws/operator", f.token("quinn")) as quinn_ws,
            heard(base, "/ws/visitor", guest["visitor_token"]) as guest_ws,
            heard(base, "/ws/visitor", other["visitor_token"]) as other_ws,
        ):
            cid = await f.chat_with_olga(guest_h, "My parcel never came")
            await olga_ws.send(cid, "Let me check, one moment")
            await guest_ws.soon("message.created", cid, "Let me check, one moment")

            # To an operator, with a note: Ivan is handed the chat and the note; the visitor is told politely.
            body = {"to_operator_id": f.id_of("ivan"), "note": "Parcel 5521 lost, offer a refund"}
            moved = await f.client.post(f"/api/v1/conversations/{cid}/transfer", json=body, headers=f.headers("olga"))
            assert moved.status_code == 200, moved.text
            assert (moved.json()["state"], moved.json()["assigned_user_id"]) == ("active", f.id_of("ivan"))
            handed = await ivan_ws.soon("conversation.transferred", cid)
            assert handed["note"] == "Parcel 5521 lost, offer a refund"
            assert (handed["from_user_id"], handed["to_user_id"]) == (f.id_of("olga"), f.id_of("ivan"))
            assert handed["conversation"]["assigned_user_id"] == f.id_of("ivan")
            told = await guest_ws.soon("message.created", cid, "You are being connected to Ivan Petrov.")
            assert told["message"]["sender_type"] == "system"
            assert await f.texts("ivan", cid) == [
                "My parcel never came",
                "Let me check, one moment",
                "You are being connected to Ivan Petrov.",
            ]
            await ivan_ws.send(cid, "Ivan here: the refund is on its way")
            await guest_ws.soon("message.created", cid, "Ivan here: the refund is on its way")
            assert (await f.seen_by("olga", cid)).status_code == 404  # no longer hers
            assert not guest_ws.of("conversation.transferred", cid)  # the note is for staff only

            # To a queue: the chat waits in Billing and is offered at once to Quinn, its member online.
            second = await f.chat_with_olga(other_h, "A question about my invoice")
            body = {"to_queue_id": f.queues["Billing"], "note": "Invoice 77 is wrong"}
            queued = await f.client.post(
                f"/api/v1/conversations/{second}/transfer", json=body, headers=f.headers("olga")
            )
            assert queued.status_code == 200, queued.text
            assert (queued.json()["state"], queued.json()["queue_id"]) == ("waiting", f.queues["Billing"])
            assert queued.json()["offered_user_id"] == f.id_of("quinn")
            for_queue = await quinn_ws.soon("conversation.transferred", second)
            assert (for_queue["note"], for_queue["to_queue_id"]) == ("Invoice 77 is wrong", f.queues["Billing"])
            offer = await quinn_ws.soon("conversation.offered", second)
            assert offer["user_id"] == f.id_of("quinn")
            await other_ws.soon("message.created", second, "You are being connected to another colleague.")
            taken = await f.client.post(f"/api/v1/conversations/{second}/accept", headers=f.headers("quinn"))
            assert taken.status_code == 200, taken.text
            assert "A question about my invoice" in await f.texts("quinn", second)
            assert not ivan_ws.of("conversation.transferred", second)  # not a member of Billing
        await f.close("ivan", cid)
        await f.close("quinn", second)


async def test_an_invited_colleague_and_the_operator_both_hear_the_visitor_and_the_visitor_hears_both(
    stack: Stack,
) -> None:
    base = stack.gateway_url
    async with floor(stack) as f:
        guest, guest_h = await f.visitor()
        async with (
            heard(base, "/ws/operator", f.token("olga")) as olga_ws,
            heard(base, "/ws/operator", f.token("ivan")) as ivan_ws,
            heard(base, "/ws/visitor", guest["visitor_token"]) as guest_ws,
        ):
            cid = await f.chat_with_olga(guest_h, "Can I change my delivery address?")
            body = {"operator_id": f.id_of("ivan"), "note": "You know the courier's system"}
            invited = await f.client.post(
                f"/api/v1/conversations/{cid}/participants", json=body, headers=f.headers("olga")
            )
            assert invited.status_code == 200, invited.text
            assert (await ivan_ws.soon("conversation.invited", cid))["note"] == "You know the courier's system"

            await guest_ws.send(cid, "It is Rua Augusta 12 now")
            for operator_ws in (olga_ws, ivan_ws):  # the visitor's next message, live to both
                said = await operator_ws.soon("message.created", cid, "It is Rua Augusta 12 now")
                assert said["message"]["sender_type"] == "visitor"
            await olga_ws.send(cid, "Olga: noted")
            await ivan_ws.send(cid, "Ivan: the courier has it")
            for text, sender in (("Olga: noted", "olga"), ("Ivan: the courier has it", "ivan")):
                reached = await guest_ws.soon("message.created", cid, text)
                assert (reached["message"]["sender_type"], reached["message"]["sender_id"]) == (
                    "operator",
                    f.id_of(sender),
                )
            await olga_ws.soon("message.created", cid, "Ivan: the courier has it")
            await ivan_ws.soon("message.created", cid, "Olga: noted")
            assert (await f.seen_by("olga", cid)).json()["assigned_user_id"] == f.id_of("olga")  # still hers
        await f.close("olga", cid)


async def test_a_group_conversation_reaches_every_visitor_and_each_hears_the_others_by_their_group_name(
    stack: Stack,
) -> None:
    base = stack.gateway_url
    async with floor(stack) as f:
        guests = [(await f.visitor())[0] for _ in range(3)]
        for guest in guests:  # live visitors: tracking has seen their page
            page = {"events": [{"type": "pageview", "url": f"{base}/demo/informatica/", "title": "Informática"}]}
            sent = await f.client.post(
                "/api/v1/track/events", json=page, headers={"authorization": f"Bearer {guest['visitor_token']}"}
            )
            assert sent.status_code == 202

        async def known() -> bool:  # stored behind the 202
            for g in guests:
                if (
                    await f.client.get(f"/api/v1/visitors/{g['visitor_id']}", headers=f.headers("olga"))
                ).status_code != 200:
                    return False
            return True

        assert await eventually(known, 30), "tracking never stored the visitors"
        async with (
            heard(base, "/ws/operator", f.token("olga")) as olga_ws,
            heard(base, "/ws/operator", f.token("ivan")) as ivan_ws,
            heard(base, "/ws/visitor", guests[0]["visitor_token"]) as first_ws,
            heard(base, "/ws/visitor", guests[1]["visitor_token"]) as second_ws,
            heard(base, "/ws/visitor", guests[2]["visitor_token"]) as third_ws,
        ):
            visitors = [first_ws, second_ws, third_ws]
            body = {"visitor_ids": [g["visitor_id"] for g in guests], "text": "Hello all, the sale starts at noon"}
            started = await f.client.post("/api/v1/group-conversations", json=body, headers=f.headers("olga"))
            assert started.status_code == 201, started.text
            gid = started.json()["id"]
            assert (started.json()["kind"], started.json()["assigned_user_id"]) == ("group", f.id_of("olga"))
            for listener in visitors:
                opening = await listener.soon("message.created", gid, "Hello all, the sale starts at noon")
                assert opening["message"]["sender_type"] == "operator"

            await first_ws.send(gid, "Is it online too?")
            await third_ws.send(gid, "Which shops?")
            for listener in (second_ws, third_ws, olga_ws):
                said = await listener.soon("message.created", gid, "Is it online too?")
                assert said["message"]["sender_name"] == "Visitor 1"  # never the visitor's real name
            for listener in (first_ws, second_ws, olga_ws):
                assert (await listener.soon("message.created", gid, "Which shops?"))["message"]["sender_name"] == (
                    "Visitor 3"
                )
            await olga_ws.send(gid, "Both: online and in every shop")
            for listener in visitors:
                await listener.soon("message.created", gid, "Both: online and in every shop")
            assert not ivan_ws.of("message.created", gid)  # SEC-2: Olga's group, not his
            assert (await f.seen_by("ivan", gid)).status_code == 404
            current = await f.client.get(
                "/api/v1/conversations/current",
                headers={"authorization": f"Bearer {guests[1]['visitor_token']}"},
            )
            assert current.status_code == 200 and current.json()["id"] == gid
        await f.close("olga", gid)


async def test_a_transfer_or_invite_to_another_companys_operator_is_refused_and_changes_nothing(stack: Stack) -> None:
    base = stack.gateway_url
    async with floor(stack) as f:
        guest, guest_h = await f.visitor()
        async with (
            heard(base, "/ws/operator", f.token("foreign")) as foreign_ws,
            heard(base, "/ws/visitor", guest["visitor_token"]) as guest_ws,
        ):
            cid = await f.chat_with_olga(guest_h, "Hello?")
            url = f"/api/v1/conversations/{cid}"
            attempts = [
                (f"{url}/transfer", {"to_operator_id": f.id_of("foreign"), "note": "yours"}, "olga"),
                (f"{url}/participants", {"operator_id": f.id_of("foreign")}, "olga"),
                (f"{url}/transfer", {"to_operator_id": f.id_of("ivan")}, "foreign"),  # their admin, our chat
                (f"{url}/participants", {"operator_id": f.id_of("foreign")}, "foreign"),
            ]
            for path, body, caller in attempts:
                refused = await f.client.post(path, json=body, headers=f.headers(caller))
                assert refused.status_code in (403, 404), (path, caller, refused.text)
                assert refused.json()["error"]["code"].endswith("not_found"), refused.text
            foreign_queue = await f.client.post("/api/v1/queues", json={"name": "Theirs"}, headers=f.headers("foreign"))
            assert foreign_queue.status_code == 201, foreign_queue.text
            to_theirs = await f.client.post(
                f"{url}/transfer", json={"to_queue_id": foreign_queue.json()["id"]}, headers=f.headers("olga")
            )
            assert (to_theirs.status_code, to_theirs.json()["error"]["code"]) == (404, "queue_not_found")

            await f.client.post(
                f"{url}/messages", json={"client_msg_id": "end", "text": "still Olga"}, headers=f.headers("olga")
            )
            await guest_ws.soon("message.created", cid, "still Olga")  # by now any frame of a transfer had come
            unchanged = (await f.seen_by("olga", cid)).json()
            assert (unchanged["state"], unchanged["assigned_user_id"]) == ("active", f.id_of("olga"))
            assert [p["user_id"] for p in unchanged["participants"]] == [f.id_of("olga")]
            assert await f.texts("olga", cid) == ["Hello?", "still Olga"]  # no "You are being connected to …"
            assert not [frame for frame in foreign_ws.frames if cid in str(frame)]
            assert (await f.seen_by("foreign", cid)).status_code == 404
        await f.close("olga", cid)
