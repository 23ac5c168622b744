"""EMB-3 and CHAT-8 on the server: a site's required pre-chat fields are required to start a chat (whatever calls
the API), an optional form never is, an invitation accepted skips it; and the customer card says how the visitor
was attached to the contact: by the site's identify (verified only when signed), or by an email typed in the
form (unverified).

The gateway with the chat service behind it, on a real port; the gateway's internal calls to chat (identify,
an accepted invitation) are made to the chat app directly, as the gateway makes them."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.common.tokens import Identity
from services.gateway.app import create_app as create_gateway
from tests.chat_client import login, visitor_session
from tests.helpers import BROWSER_UA, as_identity, eventually, free_port, live_server


@dataclass
class Stack:
    client: httpx.AsyncClient  # the gateway, over its port
    chat: httpx.AsyncClient  # the chat service, in process (the gateway's internal calls)
    settings: Settings
    admin: dict[str, str]
    olga: dict[str, str]
    site_id: str
    account_id: str

    async def form(self, **fields: Any) -> None:
        saved = await self.client.put(f"/api/v1/prechat-forms?site_id={self.site_id}", json=fields, headers=self.admin)
        assert saved.status_code == 200, saved.text

    async def visitor(self) -> tuple[dict[str, str], Identity]:
        """A new visitor of the demo site: their bearer header, and their identity as chat sees it."""
        session = await visitor_session(self.client)
        who = Identity(
            kind="visitor", account_id=self.account_id, site_id=session["site"]["id"], visitor_id=session["visitor_id"]
        )
        return bearer(session["visitor_token"]), who

    async def start(self, headers: dict[str, str], text: str = "Hello") -> httpx.Response:
        return await self.client.post("/api/v1/conversations", json={"text": text}, headers=headers)

    async def card(self, conversation_id: str) -> dict[str, Any]:
        answer = await self.client.get(f"/api/v1/conversations/{conversation_id}/contact", headers=self.olga)
        assert answer.status_code == 200, answer.text
        card: dict[str, Any] = answer.json()
        return card


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@asynccontextmanager
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    bus = MemoryBus() if settings.redis_url is None else None
    chat_app: FastAPI = create_chat(settings, bus)
    app = create_gateway(settings, bus, {"chat": chat_app})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        headers = {"origin": base, "user-agent": BROWSER_UA}
        async with (
            httpx.AsyncClient(base_url=base, headers=headers) as client,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=chat_app), base_url="http://chat") as chat,
        ):
            signed_in = await login(client)
            admin = bearer(signed_in["access_token"])
            olga = bearer((await login(client, "olga@demo.example"))["access_token"])
            site_id = (await client.get("/api/v1/sites", headers=admin)).json()["sites"][0]["id"]

            async def known() -> bool:  # chat hears of the demo site from the gateway's `site.created`
                answer = await client.get(f"/api/v1/prechat-forms?site_id={site_id}", headers=admin)
                return answer.status_code == 200

            assert await eventually(known, 20), "chat never heard of the demo site"
            yield Stack(client, chat, settings, admin, olga, site_id, signed_in["user"]["account_id"])


async def identify(s: Stack, visitor: Identity, identity: dict[str, Any]) -> httpx.Response:
    """The gateway's call to chat after a `widget/identify`: `verified` says whether it checked a signature."""
    return await s.chat.post("/internal/v1/contacts/identify", json=identity, headers=as_identity(s.settings, visitor))


def refusal(answer: httpx.Response) -> tuple[int, str, list[str]]:
    body = answer.json()["error"]
    return answer.status_code, body["code"], [d["field"] for d in body.get("details") or []]


async def test_a_chat_starts_only_once_the_required_pre_chat_fields_are_answered(settings: Settings) -> None:
    async with stack(settings) as s:
        # an optional form: a visitor may chat without answering it
        await s.form(name="optional", email="optional")
        relaxed, _ = await s.visitor()
        assert (await s.start(relaxed)).status_code == 201

        # required fields: refused until answered, naming them, and nothing started
        await s.form(name="required", email="required", phone="optional")
        guest, who = await s.visitor()
        assert (await s.client.get("/api/v1/prechat-form", headers=guest)).json()["answered"] is False
        refused = await s.start(guest)
        assert refusal(refused) == (422, "prechat_required", ["name", "email"]), refused.text
        assert (await s.client.get("/api/v1/conversations/current", headers=guest)).status_code == 404
        assert refusal(await s.client.post("/api/v1/conversations", json={}, headers=guest))[1] == "prechat_required"
        half = await s.client.post("/api/v1/prechat", json={"name": "Ana", "email": ""}, headers=guest)
        assert half.status_code == 422  # the form itself still refuses a required field left empty
        assert refusal(await s.start(guest))[2] == ["name", "email"]

        answered = await s.client.post(
            "/api/v1/prechat", json={"name": "Ana", "email": "ana@example.com"}, headers=guest
        )
        assert answered.status_code == 200, answered.text
        assert (await s.client.get("/api/v1/prechat-form", headers=guest)).json()["answered"] is True
        started = await s.start(guest, "Where is my parcel?")
        assert started.status_code == 201, started.text
        first = started.json()["id"]

        # a visitor whose chat is open keeps it, whatever the form asks now
        assert (await s.start(relaxed)).status_code == 200

        # a field made required since: asked again (the widget shows the form), refused until answered
        await s.form(name="required", email="required", phone="required")
        assert (await s.client.get("/api/v1/prechat-form", headers=guest)).json()["answered"] is False
        assert (await s.client.post(f"/api/v1/conversations/{first}/close", headers=guest)).status_code == 200
        assert refusal(await s.start(guest)) == (422, "prechat_required", ["phone"])
        again = {"name": "Ana", "email": "ana@example.com", "phone": "+351 912 345 678"}
        assert (await s.client.post("/api/v1/prechat", json=again, headers=guest)).status_code == 200
        assert (await s.start(guest)).status_code == 201

        # an invitation the visitor accepts (the gateway asks chat) is the greeting: no form first
        invited, invited_who = await s.visitor()
        assert refusal(await s.start(invited))[1] == "prechat_required"
        accepted = await s.chat.post(
            "/internal/v1/conversations/invited",
            json={"invitation_id": "inv-1", "text": "Can I help?"},
            headers=as_identity(s.settings, invited_who),
        )
        assert accepted.status_code == 201, accepted.text
        assert who.visitor_id != invited_who.visitor_id


async def test_the_card_marks_links_made_by_a_typed_email_or_an_unsigned_identify_as_unverified(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        await s.form(name="optional", email="optional")

        # the real customer, identified by the site
        customer, customer_who = await s.visitor()
        identity = {"user_id": "cust-7", "name": "Ana Souza", "email": "ana@example.com", "verified": True}
        identified = await identify(s, customer_who, identity)
        assert identified.status_code == 204, identified.text
        theirs = (await s.start(customer, "My order 1234")).json()["id"]
        card = (await s.card(theirs))["contact"]
        assert (card["identified"], card["linked_by"], card["verified"]) == (True, "site", True)

        # they type their own email in the form too: still the site's link
        own = await s.client.post("/api/v1/prechat", json={"email": "Ana@Example.com"}, headers=customer)
        assert own.status_code == 200, own.text
        card = (await s.card(theirs))["contact"]
        assert (card["linked_by"], card["verified"]) == ("site", True)

        # someone else types the same email: attached to the same contact (its earlier chat shown), but unverified
        stranger, _ = await s.visitor()
        typed = await s.client.post(
            "/api/v1/prechat", json={"name": "Not Ana", "email": "ana@example.com"}, headers=stranger
        )
        assert typed.status_code == 200, typed.text
        other = (await s.start(stranger, "Send my order to a new address")).json()["id"]
        shown = await s.card(other)
        assert shown["contact"]["id"] == card["id"] and shown["contact"]["name"] == "Ana Souza"
        assert (shown["contact"]["identified"], shown["contact"]["linked_by"], shown["contact"]["verified"]) == (
            True,
            "prechat_form",
            False,
        )
        assert [c["id"] for c in shown["earlier"]] == [theirs]

        # a new email nobody identified: a new contact, unverified
        newcomer, newcomer_who = await s.visitor()
        assert (
            await s.client.post("/api/v1/prechat", json={"email": "bo@example.com"}, headers=newcomer)
        ).status_code == 200
        fresh_id = (await s.start(newcomer)).json()["id"]
        fresh = (await s.card(fresh_id))["contact"]
        assert (fresh["identified"], fresh["linked_by"], fresh["verified"]) == (False, "prechat_form", False)

        # the site signs them in right after they typed it: the site's link, verified (however soon it came)
        bo = {"user_id": "cust-8", "email": "bo@example.com", "verified": True}
        assert (await identify(s, newcomer_who, bo)).status_code == 204
        signed = (await s.card(fresh_id))["contact"]
        assert signed["id"] == fresh["id"] != card["id"]
        assert (signed["identified"], signed["linked_by"], signed["verified"]) == (True, "site", True)

        # an unsigned identify is anyone's word: the site's link, but unverified, and it renames nobody
        claimer, claimer_who = await s.visitor()
        claim = {"user_id": "cust-7", "name": "Mallory", "verified": False}
        assert (await identify(s, claimer_who, claim)).status_code == 204
        claimed = (await s.card((await s.start(claimer, "Refund to my new card")).json()["id"]))["contact"]
        assert (claimed["id"], claimed["name"]) == (card["id"], "Ana Souza")
        assert (claimed["identified"], claimed["linked_by"], claimed["verified"]) == (True, "site", False)
