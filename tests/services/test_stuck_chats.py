"""Nothing stuck (ROUTE-4): the cases where a peer leaves a chat in limbo, each named after the Chatwoot issue that
describes it, on SQLite + memory bus and PostgreSQL + Redis. The gateway (chat in process) serves on a real port;
what the operators notice is read from their console sockets: the `conversation.offered` frame comes at once, when
the change happens (an operator comes online, a chat closes), not when the next chat arrives. Related, in
`test_routing.py`: an operator who goes offline or on a break gives their unaccepted offers back
(`test_an_operator_who_leaves_gives_their_offers_back_and_one_who_comes_online_gets_them`)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from services.common.settings import Settings
from tests.chat_client import visitor_session
from tests.helpers import eventually
from tests.services.gateway_harness import bearer, login
from tests.services.test_presence import client_of, served
from tests.services.test_routing import ADMINS, make_queue, new_chat, operator
from tests.stack.test_transfer_stack import Heard, heard


@dataclass
class Floor:
    """One gateway on a real port; its client; the demo admin; Olga's and Ivan's tokens, ids and console sockets."""

    base: str
    client: httpx.AsyncClient
    admin: dict[str, Any]
    tokens: dict[str, dict[str, Any]]
    consoles: dict[str, Heard]

    def id_of(self, name: str) -> str:
        user_id: str = self.tokens[name]["user"]["id"]
        return user_id

    async def status(self, name: str, status: str) -> None:
        answer = await self.client.put(
            "/api/v1/me/presence", json={"status": status}, headers=bearer(self.tokens[name])
        )
        assert answer.status_code == 200, answer.text

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        answer = await self.client.get(f"/api/v1/conversations/{conversation_id}", headers=bearer(self.admin))
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def offered_to(self, conversation_id: str) -> str | None:
        user_id: str | None = (await self.conversation(conversation_id))["offered_user_id"]
        return user_id

    async def offer_reaches(self, name: str, conversation_id: str) -> None:
        """The chat is offered to them, and their console socket got the offer."""
        assert await self.offered_to(conversation_id) == self.id_of(name)
        offer = await self.consoles[name].soon("conversation.offered", conversation_id)
        assert offer["user_id"] == self.id_of(name)

    def offers_heard(self, name: str, conversation_id: str) -> list[dict[str, Any]]:
        """The offers of the chat to them their console heard (a queue's members hear who else it is offered to)."""
        heard = self.consoles[name].of("conversation.offered", conversation_id)
        return [offer for offer in heard if offer["user_id"] == self.id_of(name)]

    async def accept(self, name: str, conversation_id: str) -> None:
        answer = await self.client.post(
            f"/api/v1/conversations/{conversation_id}/accept", headers=bearer(self.tokens[name])
        )
        assert answer.status_code == 200, answer.text

    async def close(self, name: str, conversation_id: str) -> None:
        answer = await self.client.post(
            f"/api/v1/conversations/{conversation_id}/close", headers=bearer(self.tokens[name])
        )
        assert answer.status_code == 200, answer.text


@asynccontextmanager
async def floor(settings: Settings, olga: str = "online", ivan: str = "online") -> AsyncIterator[Floor]:
    """Olga and Ivan with these statuses, each with their console open."""
    async with served(settings) as [base], client_of(base) as client, AsyncExitStack() as sockets:
        # at once: each login hashes a password (argon2, in the gateway's threads)
        admin, (olga_tokens, _), (ivan_tokens, _) = await asyncio.gather(
            login(client), operator(client, "olga@demo.example", olga), operator(client, "ivan@demo.example", ivan)
        )
        ADMINS[id(client)] = admin
        tokens = {"olga": olga_tokens, "ivan": ivan_tokens}
        consoles = {
            name: await sockets.enter_async_context(heard(base, "/ws/operator", who["access_token"]))
            for name, who in tokens.items()
        }
        yield Floor(base, client, admin, tokens, consoles)


def visitor_headers(chat: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {chat['visitor_token']}"}


async def test_chatwoot_7204_a_visitor_writing_again_after_their_operator_went_offline_gets_an_online_one(
    settings: Settings,
) -> None:
    """Chatwoot #7204: a customer replied to a resolved conversation after its agent went offline for the day, and
    the reopened conversation went to that offline agent, where nobody answered it."""
    async with floor(settings, ivan="offline") as f:
        sales = await make_queue(f.client, "Sales", [(f.id_of("olga"), 0), (f.id_of("ivan"), 0)])
        first = await new_chat(f.client, sales)
        await f.offer_reaches("olga", first["id"])
        await f.accept("olga", first["id"])
        await f.close("olga", first["id"])
        await f.status("olga", "offline")  # done for the day
        await f.status("ivan", "online")

        # The closed chat is not reopened into Olga's hands: the visitor is told, and writes in a new one.
        again = await f.client.post(
            f"/api/v1/conversations/{first['id']}/messages",
            json={"client_msg_id": "later-1", "text": "One more thing"},
            headers=visitor_headers(first),
        )
        assert again.status_code == 409 and again.json()["error"]["code"] == "conversation_closed"
        back = await new_chat(f.client, sales, token=first["visitor_token"])
        assert back["offered_user_id"] == f.id_of("ivan")  # at once, to the operator online
        await f.offer_reaches("ivan", back["id"])
        assert f.offers_heard("olga", back["id"]) == []

        # Ivan leaves too before taking it: it is not left with an operator who is gone, it waits unassigned.
        await f.status("ivan", "offline")
        waiting = await f.conversation(back["id"])
        assert (waiting["state"], waiting["offered_user_id"], waiting["assigned_user_id"]) == ("waiting", None, None)


async def test_chatwoot_4158_a_returning_visitor_of_a_sticky_queue_is_not_routed_to_their_offline_last_operator(
    settings: Settings,
) -> None:
    """Chatwoot #4158: returning chats were assigned back to the last agent the customer had chatted with, whether
    or not that agent was logged in; they should go only to agents who are online."""
    async with floor(settings, ivan="offline") as f:
        ids = [(f.id_of("olga"), 0), (f.id_of("ivan"), 0)]
        sticky = await make_queue(f.client, "Account managers", ids, strategy="sticky")
        first = await new_chat(f.client, sticky)
        await f.offer_reaches("olga", first["id"])
        await f.accept("olga", first["id"])
        await f.close("olga", first["id"])

        await f.status("olga", "offline")
        await f.status("ivan", "online")
        returning = await new_chat(f.client, sticky, token=first["visitor_token"])
        await f.offer_reaches("ivan", returning["id"])  # not Olga's while she is logged out
        assert f.offers_heard("olga", returning["id"]) == []

        # Now Ivan is their last operator, and he goes on a break: the visitor's next chat goes to Olga, online.
        await f.accept("ivan", returning["id"])
        await f.close("ivan", returning["id"])
        await f.status("olga", "online")
        await f.status("ivan", "break")
        third = await new_chat(f.client, sticky, token=first["visitor_token"])
        await f.offer_reaches("olga", third["id"])
        assert f.offers_heard("ivan", third["id"]) == []


async def test_chatwoot_5672_a_chat_started_while_every_operator_is_offline_is_seen_waiting_and_offered_at_once(
    settings: Settings,
) -> None:
    """Chatwoot #5672: conversations created while the agents were offline were left unassigned, with no one aware
    that they were in limbo."""
    async with floor(settings, olga="offline", ivan="offline") as f:
        sales = await make_queue(f.client, "Sales", [(f.id_of("olga"), 0), (f.id_of("ivan"), 0)])
        guest = await visitor_session(f.client)
        availability = await f.client.get(
            "/api/v1/queues/availability", headers={"authorization": f"Bearer {guest['visitor_token']}"}
        )
        assert {q["queue_id"]: q["online"] for q in availability.json()["queues"]}[sales] is False
        chat = await new_chat(f.client, sales)
        assert (chat["state"], chat["offered_user_id"]) == ("waiting", None)  # nobody offline is handed it

        # Not silent: the visitor has a place in line, and the supervisors' board counts it waiting.
        current = await f.client.get("/api/v1/conversations/current", headers=visitor_headers(chat))
        assert current.status_code == 200 and current.json()["position"] == 1
        summary = await f.client.get("/api/v1/queues/summary", headers=bearer(f.admin))
        (row,) = [q for q in summary.json()["queues"] if q["queue_id"] == sales]
        assert (row["waiting"], row["online_operators"]) == (1, 0)

        await f.status("ivan", "online")  # the first to come online has it at once, no other chat needed
        await f.offer_reaches("ivan", chat["id"])


async def test_chatwoot_10685_chats_waiting_while_all_were_offline_are_assigned_as_operators_come_online(
    settings: Settings,
) -> None:
    """Chatwoot #10685: with every agent offline nothing was assigned, and when agents came online the waiting
    conversations were still not assigned to them (within their limit)."""
    async with floor(settings, olga="offline", ivan="offline") as f:
        sales = await make_queue(f.client, "Sales", [(f.id_of("olga"), 0), (f.id_of("ivan"), 0)])
        capped = await f.client.put(
            f"/api/v1/operators/{f.id_of('olga')}/capacity", json={"max_chats": 2}, headers=bearer(f.admin)
        )
        assert capped.status_code == 200, capped.text
        chats = [await new_chat(f.client, sales) for _ in range(4)]
        assert [c["offered_user_id"] for c in chats] == [None] * 4

        await f.status("olga", "online")
        for chat in chats[:2]:  # the two that waited longest, up to her limit
            await f.offer_reaches("olga", chat["id"])
        assert [await f.offered_to(c["id"]) for c in chats[2:]] == [None, None]
        await f.status("ivan", "online")
        for chat in chats[2:]:
            await f.offer_reaches("ivan", chat["id"])
        assert not [c for c in chats[2:] if f.offers_heard("olga", c["id"])]  # never beyond her limit


async def test_chatwoot_15786_a_chat_waiting_for_room_is_offered_as_soon_as_a_chat_closes_before_a_newer_one(
    settings: Settings,
) -> None:
    """Chatwoot #15786 (its text is not in the searchable index: this is the case left of ROUTE-4's five, as
    Chatwoot #10583 describes it): with every agent at capacity a chat waited unassigned, and when an agent
    resolved one it stayed waiting; the next new chat was assigned to the freed agent ahead of it."""
    async with floor(settings, ivan="offline") as f:
        sales = await make_queue(f.client, "Sales", [(f.id_of("olga"), 0)])
        held = [await new_chat(f.client, sales) for _ in range(3)]  # her default capacity, 3
        for chat in held:
            await f.offer_reaches("olga", chat["id"])
            await f.accept("olga", chat["id"])
        fourth = await new_chat(f.client, sales)
        assert fourth["offered_user_id"] is None

        await f.close("olga", held[0]["id"])
        await f.offer_reaches("olga", fourth["id"])  # at once, when her room frees
        fifth = await new_chat(f.client, sales)
        assert fifth["offered_user_id"] is None  # the newer one waits behind it
        await f.accept("olga", fourth["id"])
        await f.close("olga", held[1]["id"])
        await f.offer_reaches("olga", fifth["id"])
        assert await eventually(lambda: len(f.offers_heard("olga", fifth["id"])) == 1)
