"""The assignment engine (ROUTE-3, ROUTE-4) through the gateway, on SQLite + memory bus and PostgreSQL + Redis:
a new chat is offered to one operator of its queue by the queue's strategy, within capacity and presence; only
they may accept it (or a supervisor); nothing stays stuck (an offer that expires, an operator who leaves, one who
comes online or frees room); queue priority orders service; `operator.presence_changed` on every change."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from services.chat.app import create_app as create_chat
from services.chat.presence import sweep as presence_sweep
from services.chat.routing.offers import expire_offers, fail_over
from services.common.bus import MemoryBus
from services.common.db import utcnow
from services.common.events import Event, OperatorPresenceChanged
from services.common.service import ServiceRuntime
from services.common.settings import Settings
from services.common.tokens import Identity
from services.gateway.app import create_app as create_gateway
from tests.chat_client import next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, as_identity, eventually
from tests.services.gateway_harness import ADMIN_KEY, bearer, invite, login
from tests.services.test_presence import client_of, served

BASE = "http://127.0.0.1:8000"
ADMINS: dict[int, dict[str, Any]] = {}  # each stack's admin tokens, by its client (a login costs a password hash)


def admin_of(client: httpx.AsyncClient) -> dict[str, Any]:
    return ADMINS[id(client)]


@dataclass
class Stack:
    client: httpx.AsyncClient
    chat: Any
    admin: dict[str, Any] = field(default_factory=dict)  # the demo account admin's tokens
    offers: list[dict[str, Any]] = field(default_factory=list)  # `conversation.offered` frames, in order
    events: list[OperatorPresenceChanged] = field(default_factory=list)

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.chat.state.runtime
        return runtime

    async def listen(self, account_id: str) -> None:
        async def frame(_: str, body: dict[str, Any]) -> None:
            if body.get("type") == "conversation.offered":
                self.offers.append(body)

        async def event(received: Event) -> None:
            self.events.append(OperatorPresenceChanged.model_validate(received.payload))

        await self.runtime.bus.subscribe(f"account:{account_id}", frame)
        await self.runtime.bus.consume("routing-test", [OperatorPresenceChanged.TYPE], event)

    def offered_to(self, conversation_id: str) -> list[str]:
        return [o["user_id"] for o in self.offers if o["conversation"]["id"] == conversation_id]


@asynccontextmanager
async def stack(settings: Settings, **overrides: Any) -> AsyncIterator[Stack]:
    """The gateway with chat in process; the demo account's offers and presence events recorded."""
    settings = settings.model_copy(update={"public_url": BASE, "admin_api_key": ADMIN_KEY, **overrides})
    bus = MemoryBus() if settings.redis_url is None else None
    chat = create_chat(settings, bus)
    app = create_gateway(settings, bus, {"chat": chat})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        headers = {"origin": BASE, "user-agent": BROWSER_UA}
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
            found = Stack(client, chat, admin=await login(client))
            ADMINS[id(client)] = found.admin
            await found.listen(found.admin["user"]["account_id"])
            yield found


async def operator(client: httpx.AsyncClient, email: str, status: str = "online") -> tuple[dict[str, Any], str]:
    """An operator known to chat with this status: their tokens and id."""
    tokens = await login(client, email, "a-password" if email.startswith("op") else "floorwalker")
    answer = await client.put("/api/v1/me/presence", json={"status": status}, headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    return tokens, tokens["user"]["id"]


async def more_operators(client: httpx.AsyncClient, count: int) -> list[str]:
    admin = admin_of(client)
    emails = [f"op{index}@demo.example" for index in range(count)]
    for email in emails:
        assert (await invite(client, admin, email)).status_code == 201
    return emails


async def make_queue(client: httpx.AsyncClient, name: str, members: list[tuple[str, int]], **fields: Any) -> str:
    body = {"name": name, "members": [{"user_id": u, "priority": p} for u, p in members], **fields}
    made = await client.post("/api/v1/queues", json=body, headers=bearer(admin_of(client)))
    assert made.status_code == 201, made.text
    queue_id: str = made.json()["id"]
    return queue_id


async def new_chat(client: httpx.AsyncClient, queue_id: str | None = None, token: str | None = None) -> dict[str, Any]:
    """A visitor (a new one, or the one of `token`) starts a chat; the conversation and the visitor's token."""
    guest = await visitor_session(client, token)
    body: dict[str, Any] = {"text": "Hello?"}
    if queue_id is not None:
        body["queue_id"] = queue_id
    headers = {"authorization": f"Bearer {guest['visitor_token']}"}
    started = await client.post("/api/v1/conversations", json=body, headers=headers)
    assert started.status_code == 201, started.text
    conversation: dict[str, Any] = started.json()
    conversation["visitor_token"] = guest["visitor_token"]
    return conversation


async def offered_user(s: Stack, conversation_id: str) -> str | None:
    answer = await s.client.get(f"/api/v1/conversations/{conversation_id}", headers=bearer(s.admin))
    user_id: str | None = answer.json()["offered_user_id"]
    return user_id


async def test_a_new_chat_is_offered_to_one_online_member_and_only_they_or_a_supervisor_may_accept_it(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        ivan, ivan_id = await operator(client, "ivan@demo.example")
        [sue_email] = await more_operators(client, 1)
        sue, sue_id = await operator(client, sue_email, status="away")  # a member, but not online
        sales = await make_queue(client, "Sales", [(olga_id, 0), (ivan_id, 0), (sue_id, 0)])

        first = await new_chat(client, sales)
        second = await new_chat(client)  # no queue chosen: the account's first
        assert first["queue_id"] == sales and second["queue_id"] == sales
        assert first["offered_user_id"] in (olga_id, ivan_id) and first["offer_expires_at"] is not None
        # Least busy: the second goes to the other operator; the away member gets nothing.
        assert {first["offered_user_id"], second["offered_user_id"]} == {olga_id, ivan_id}
        assert await eventually(lambda: len(s.offers) == 2)
        frame = s.offers[0]
        assert (frame["conversation"]["id"], frame["user_id"]) == (first["id"], first["offered_user_id"])

        holder, other = (olga, ivan) if first["offered_user_id"] == olga_id else (ivan, olga)
        taken = await client.post(f"/api/v1/conversations/{first['id']}/accept", headers=bearer(other))
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "offered_to_another"
        assert (
            await client.post(f"/api/v1/conversations/{first['id']}/accept", headers=bearer(sue))
        ).status_code == 409
        mine = await client.post(f"/api/v1/conversations/{first['id']}/accept", headers=bearer(holder))
        assert mine.status_code == 200 and mine.json()["assigned_user_id"] == holder["user"]["id"]
        assert mine.json()["offered_user_id"] is None
        # A supervisor (here the admin) may take a chat offered to someone else.
        boss = await client.post(f"/api/v1/conversations/{second['id']}/accept", headers=bearer(s.admin))
        assert boss.status_code == 200 and boss.json()["state"] == "active"

        unknown = await client.post(
            "/api/v1/conversations",
            json={"queue_id": "00000000-0000-4000-8000-000000000000"},
            headers={"authorization": f"Bearer {(await visitor_session(client))['visitor_token']}"},
        )
        assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["type"] == "unknown_queue"
        assert sue_id not in {o["user_id"] for o in s.offers}


async def test_capacity_counts_offers_and_chats_and_a_closed_chat_frees_room_at_once(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        admin = s.admin
        olga, olga_id = await operator(client, "olga@demo.example")
        capped = await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 1}, headers=bearer(admin))
        assert capped.status_code == 200
        sales = await make_queue(client, "Sales", [(olga_id, 0)])

        a = await new_chat(client, sales)
        b = await new_chat(client, sales)
        assert a["offered_user_id"] == olga_id and b["offered_user_id"] is None  # her one place is offered
        assert (await client.post(f"/api/v1/conversations/{a['id']}/accept", headers=bearer(olga))).status_code == 200
        full = await client.post(f"/api/v1/conversations/{b['id']}/accept", headers=bearer(olga))
        assert full.status_code == 409 and full.json()["error"]["code"] == "at_capacity"
        assert await offered_user(s, b["id"]) is None

        closed = await client.post(f"/api/v1/conversations/{a['id']}/close", headers=bearer(olga))
        assert closed.status_code == 200
        assert await offered_user(s, b["id"]) == olga_id  # at once, not when the next chat arrives
        # Raising her capacity offers the next waiting chat at once too.
        c = await new_chat(client, sales)
        assert c["offered_user_id"] is None
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 2}, headers=bearer(admin))
        assert await offered_user(s, c["id"]) == olga_id


async def test_an_offer_not_accepted_in_time_goes_to_the_next_operator(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example")
        _, ivan_id = await operator(client, "ivan@demo.example")
        sales = await make_queue(client, "Sales", [(olga_id, 0), (ivan_id, 0)])
        chat = await new_chat(client, sales)
        first = chat["offered_user_id"]
        assert first is not None
        frames = s.chat.state.frames
        assert await expire_offers(s.runtime, frames, utcnow() + timedelta(seconds=5)) == 0  # not yet (30 s)
        later = utcnow() + timedelta(seconds=31)
        assert await expire_offers(s.runtime, frames, later) == 1
        second = await offered_user(s, chat["id"])
        assert second is not None and second != first
        # The next one lets it expire too: nobody else is left, so it is offered again to the first.
        assert await expire_offers(s.runtime, frames, later + timedelta(seconds=31)) == 1
        assert await offered_user(s, chat["id"]) == first
        assert await eventually(lambda: s.offered_to(chat["id"]) == [first, second, first])


async def test_an_operator_who_leaves_gives_their_offers_back_and_one_who_comes_online_gets_them(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        ivan, ivan_id = await operator(client, "ivan@demo.example", status="offline")
        sales = await make_queue(client, "Sales", [(olga_id, 0), (ivan_id, 0)])
        chat = await new_chat(client, sales)
        assert chat["offered_user_id"] == olga_id
        await client.put("/api/v1/me/presence", json={"status": "break"}, headers=bearer(olga))
        assert await offered_user(s, chat["id"]) is None  # back in the queue: nobody online
        await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(ivan))
        assert await offered_user(s, chat["id"]) == ivan_id  # offered at once when he comes online

        # Ivan's console drops without a goodbye: the grace sweep turns him offline, his offer goes back.
        frames = s.chat.state.frames
        grace = s.runtime.settings.presence_grace_seconds
        assert await presence_sweep(s.runtime, frames, grace, utcnow() + timedelta(seconds=grace + 1)) >= 1
        assert await offered_user(s, chat["id"]) is None
        await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(olga))
        assert await offered_user(s, chat["id"]) == olga_id


async def test_queue_priority_orders_service_across_queues(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        admin = s.admin
        olga, olga_id = await operator(client, "olga@demo.example", status="offline")
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 1}, headers=bearer(admin))
        general = await make_queue(client, "General", [(olga_id, 0)], priority=5)
        vip = await make_queue(client, "VIP", [(olga_id, 0)], priority=0)
        older = await new_chat(client, general)
        newer = await new_chat(client, vip)
        await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(olga))
        assert await offered_user(s, newer["id"]) == olga_id  # the VIP queue first, though it waited less
        assert await offered_user(s, older["id"]) is None


async def test_strategies_operator_priority_overflows_sticky_returns_manual_offers_nobody(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        admin = s.admin
        olga, olga_id = await operator(client, "olga@demo.example")
        ivan, ivan_id = await operator(client, "ivan@demo.example")
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 1}, headers=bearer(admin))

        tiers = await make_queue(client, "Tiers", [(olga_id, 0), (ivan_id, 10)], strategy="operator_priority")
        senior = await new_chat(client, tiers)
        overflow = await new_chat(client, tiers)
        assert (senior["offered_user_id"], overflow["offered_user_id"]) == (olga_id, ivan_id)  # top tier full
        for chat, who in ((senior, olga), (overflow, ivan)):
            assert (
                await client.post(f"/api/v1/conversations/{chat['id']}/accept", headers=bearer(who))
            ).status_code == 200

        # Sticky: a returning visitor gets Olga, their last operator, though Ivan is less busy.
        sticky = await make_queue(client, "Sticky", [(olga_id, 0), (ivan_id, 0)], strategy="sticky", priority=1)
        await client.post(f"/api/v1/conversations/{senior['id']}/close", headers=bearer(olga))
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 3}, headers=bearer(admin))
        await client.post(f"/api/v1/conversations/{overflow['id']}/close", headers=bearer(ivan))
        busy = await new_chat(client, tiers)  # Olga (top tier) gets a chat: she is now busier than Ivan
        assert busy["offered_user_id"] == olga_id
        back = await new_chat(client, sticky, token=senior["visitor_token"])
        assert back["offered_user_id"] == olga_id  # the returning visitor's last operator
        stranger = await new_chat(client, sticky)
        assert stranger["offered_user_id"] == ivan_id  # no history: least busy

        manual = await make_queue(client, "Pick-up", [(olga_id, 0), (ivan_id, 0)], strategy="manual", priority=2)
        picked = await new_chat(client, manual)
        assert picked["offered_user_id"] is None
        await asyncio.sleep(0.1)
        assert await offered_user(s, picked["id"]) is None
        took = await client.post(f"/api/v1/conversations/{picked['id']}/accept", headers=bearer(ivan))
        assert took.status_code == 200 and took.json()["assigned_user_id"] == ivan_id


async def test_operator_presence_changed_is_published_on_status_capacity_load_and_queue_changes(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        admin = s.admin
        olga, olga_id = await operator(client, "olga@demo.example", status="offline")

        def olgas() -> list[OperatorPresenceChanged]:
            return [e for e in s.events if e.user_id == olga_id]

        async def next_event(count: int) -> OperatorPresenceChanged:
            assert await eventually(lambda: len(olgas()) >= count), [e.model_dump() for e in olgas()]
            return olgas()[count - 1]

        await client.put("/api/v1/me/presence", json={"status": "online"}, headers=bearer(olga))
        status = await next_event(1)
        assert (status.status, status.max_chats, status.active_chats, status.queue_ids) == ("online", 3, 0, [])
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 5}, headers=bearer(admin))
        assert (await next_event(2)).max_chats == 5
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        assert (await next_event(3)).queue_ids == [sales]
        chat = await new_chat(client, sales)
        await client.post(f"/api/v1/conversations/{chat['id']}/accept", headers=bearer(olga))
        accepted = await next_event(4)
        assert (accepted.active_chats, accepted.available) == (1, True)
        await client.post(f"/api/v1/conversations/{chat['id']}/close", headers=bearer(olga))
        assert (await next_event(5)).active_chats == 0
        await client.put(f"/api/v1/queues/{sales}", json={"name": "Sales", "members": []}, headers=bearer(admin))
        assert (await next_event(6)).queue_ids == []
        await client.put("/api/v1/presence/settings", json={"default_max_chats": 4}, headers=bearer(admin))
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": None}, headers=bearer(admin))
        assert (await next_event(7)).max_chats == 4
        await client.put("/api/v1/me/presence", json={"status": "away"}, headers=bearer(olga))
        gone = await next_event(8)
        assert (gone.status, gone.available) == ("away", False)


async def test_the_offer_timer_stops_once_the_offered_operator_replies_and_others_may_not_write(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        ivan, ivan_id = await operator(client, "ivan@demo.example")
        sales = await make_queue(client, "Sales", [(olga_id, 0), (ivan_id, 0)])
        chat = await new_chat(client, sales)
        holder, other = (olga, ivan) if chat["offered_user_id"] == olga_id else (ivan, olga)
        url = f"/api/v1/conversations/{chat['id']}/messages"
        refused = await client.post(url, json={"client_msg_id": "x-1", "text": "Mine!"}, headers=bearer(other))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "offered_to_another"
        replied = await client.post(
            url, json={"client_msg_id": "h-1", "text": "Hi, one moment"}, headers=bearer(holder)
        )
        assert replied.status_code == 201
        assert await expire_offers(s.runtime, s.chat.state.frames, utcnow() + timedelta(seconds=120)) == 0
        assert await offered_user(s, chat["id"]) == holder["user"]["id"]


async def test_a_chat_started_from_an_invitation_is_routed_like_any_other(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example")
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        guest = await visitor_session(client)
        account_id, site_id = s.admin["user"]["account_id"], guest["site"]["id"]
        who = Identity(kind="visitor", account_id=account_id, site_id=site_id, visitor_id=guest["visitor_id"])
        transport = httpx.ASGITransport(app=s.chat)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as chat:
            started = await chat.post(
                "/internal/v1/conversations/invited",
                json={"invitation_id": "inv-1", "text": "Can I help?"},
                headers=as_identity(s.runtime.settings, who),
            )
        assert started.status_code == 201, started.text
        assert (started.json()["queue_id"], started.json()["offered_user_id"]) == (sales, olga_id)


async def test_a_chat_waiting_longer_than_its_queues_maximum_moves_to_the_failover_queue(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example", status="offline")
        _, ivan_id = await operator(client, "ivan@demo.example")
        backup = await make_queue(client, "Backup", [(ivan_id, 0)], priority=5)
        front = await make_queue(client, "Front", [(olga_id, 0)], failover_queue_id=backup, max_wait_seconds=20)
        chat = await new_chat(client, front)
        assert chat["offered_user_id"] is None  # nobody of Front is online
        frames = s.chat.state.frames
        assert await fail_over(s.runtime, frames, utcnow() + timedelta(seconds=10)) == 0  # not yet
        assert await fail_over(s.runtime, frames, utcnow() + timedelta(seconds=21)) == 1
        moved = (await s.client.get(f"/api/v1/conversations/{chat['id']}", headers=bearer(s.admin))).json()
        assert (moved["queue_id"], moved["offered_user_id"]) == (backup, ivan_id)
        # Backup has no failover: the chat stays there, however long it waits.
        assert await fail_over(s.runtime, frames, utcnow() + timedelta(hours=2)) == 0


async def test_the_offer_reaches_the_operators_console_socket(settings: Settings) -> None:
    async with served(settings) as [base], client_of(base) as client:
        ADMINS[id(client)] = await login(client)
        olga, olga_id = await operator(client, "olga@demo.example")
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        async with open_socket(base, "/ws/operator", olga["access_token"]) as console:
            chat = await new_chat(client, sales)
            offer = await next_frame(console, "conversation.offered")
            assert (offer["user_id"], offer["conversation"]["id"]) == (olga_id, chat["id"])
            assert offer["conversation"]["offered_user_id"] == olga_id and offer["expires_at"]


async def test_a_capacity_lowered_below_the_offers_held_gives_the_surplus_back(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example")
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        chats = [await new_chat(client, sales) for _ in range(3)]
        assert [c["offered_user_id"] for c in chats] == [olga_id] * 3  # the default capacity, 3
        lowered = await client.put(
            f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 1}, headers=bearer(s.admin)
        )
        assert lowered.status_code == 200
        held = [await offered_user(s, c["id"]) for c in chats]
        assert held.count(olga_id) == 1 and held.count(None) == 2  # the oldest is offered to her again
        assert held[0] == olga_id
