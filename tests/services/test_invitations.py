"""Invitations on the visitor's live socket (ENG-2, EMB-9): an operator's call reaches a visitor who never opened
the chat within a second, the widget's answers become durable events with the rule and variant, and accepting
starts a conversation attributed to the invitation. On both backends: SQLite + the memory bus, and PostgreSQL +
Redis (the invitations waiting for an answer are then in Redis, shared by the gateway replicas)."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from services.chat.app import create_app as create_chat
from services.common.bus import EventBus, MemoryBus, RedisBus
from services.common.events import Event
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.rules.app import create_app as create_rules
from services.tracking.app import create_app as create_tracking
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, eventually, free_port, live_server

TYPES = ["invitation.shown", "invitation.accepted", "invitation.closed", "invitation.expired", "conversation.started"]


@dataclass
class Floor:
    base: str
    client: httpx.AsyncClient
    bus: EventBus  # to publish on, as another service would
    events: list[Event] = field(default_factory=list)

    def of(self, kind: str, invitation_id: str | None = None) -> list[dict[str, Any]]:
        return [
            e.payload
            for e in self.events
            if e.type == kind and (invitation_id is None or e.payload.get("invitation_id") == invitation_id)
        ]


@asynccontextmanager
async def floor(settings: Settings, *, rules: bool = False, probed: list[str] = TYPES) -> AsyncIterator[Floor]:
    """The gateway with chat and tracking (and the rules, if asked) on a real port, and a probe of the durable
    events of the `probed` types."""
    events: list[Event] = []

    async def probe(event: Event) -> None:
        events.append(event)

    if settings.redis_url is None:
        bus: EventBus = MemoryBus()
        shared: EventBus | None = bus
    else:
        bus, shared = RedisBus(settings.redis_url, prefix=settings.redis_prefix), None
        await bus.start()
    await bus.consume(f"probe-{uuid.uuid4().hex[:6]}", probed, probe)
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    services = {"chat": create_chat(settings, shared), "tracking": create_tracking(settings, shared)}
    if rules:
        services["rules"] = create_rules(settings, shared)
    app = create_gateway(settings, shared, services)
    try:
        async with live_server(app, settings, port) as base:  # uvicorn runs the app's lifespan
            headers = {"origin": base, "user-agent": BROWSER_UA}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=20) as client:
                yield Floor(base, client, bus, events)
    finally:
        if shared is None:
            await bus.stop()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def shopper(place: Floor) -> tuple[str, str]:
    """A visitor on the demo shop with one page view stored (on the live list); never opened the chat."""
    session = await visitor_session(place.client)
    token, visitor_id = session["visitor_token"], session["visitor_id"]
    page = {"events": [{"type": "pageview", "page_id": uuid.uuid4().hex, "url": f"{place.base}/demo/informatica/"}]}

    async def tracked() -> bool:  # 503 while tracking has not heard of the demo site yet: the widget sends again
        answer = await place.client.post("/api/v1/track/events", json=page, headers=bearer(token))
        assert answer.status_code in (202, 503), answer.text
        return answer.status_code == 202

    assert await eventually(tracked, 30)
    admin = await login(place.client)

    async def known() -> bool:
        answer = await place.client.get(f"/api/v1/visitors/{visitor_id}", headers=bearer(admin["access_token"]))
        return answer.status_code == 200

    assert await eventually(known, 30), "tracking never stored the visitor"
    return token, visitor_id


async def send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


async def test_an_operators_call_reaches_a_visitor_who_never_opened_the_chat_and_accepting_starts_their_chat(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        token, visitor_id = await shopper(place)
        olga = await login(place.client, "olga@demo.example")
        async with (
            open_socket(place.base, "/ws/visitor", token) as tab,
            open_socket(place.base, "/ws/operator", olga["access_token"]) as console,
        ):
            started = time.monotonic()
            answer = await place.client.post(
                f"/api/v1/visitors/{visitor_id}/invitations",
                json={"text": "Looking for a laptop? I can help."},
                headers=bearer(olga["access_token"]),
            )
            assert answer.status_code == 201, answer.text
            invitation = await next_frame(tab, "invitation", within=1.0)
            assert time.monotonic() - started < 1.0
            invitation_id = answer.json()["invitation_id"]
            assert invitation == {
                "type": "invitation",
                "invitation_id": invitation_id,
                "rule_id": None,
                "variant": None,
                "text": "Looking for a laptop? I can help.",
                "operator": {"id": olga["user"]["id"], "name": olga["user"]["name"], "photo_url": None},
                "auto_open": False,
                "delay_s": 0.0,
                "expires_at": invitation["expires_at"],
            }

            await send(tab, {"type": "invitation.shown", "invitation_id": invitation_id})
            await send(tab, {"type": "invitation.shown", "invitation_id": invitation_id})  # a second tab, a reload
            await send(tab, {"type": "invitation.accept", "invitation_id": invitation_id})
            accepted = await next_frame(tab, "invitation.accepted")
            conversation = accepted["conversation"]
            assert accepted["invitation_id"] == invitation_id
            assert conversation["state"] == "active" and conversation["assigned_user_id"] == olga["user"]["id"]
            assert (conversation["invitation_id"], conversation["rule_id"], conversation["variant"]) == (
                invitation_id,
                None,
                None,
            )
            withdrawn = await next_frame(tab, "invitation.withdrawn")
            assert withdrawn == {"type": "invitation.withdrawn", "invitation_id": invitation_id, "reason": "accepted"}

            # The operator sees the conversation arrive, theirs, with the invitation as its first message.
            update = await next_frame(console, "conversation.updated")
            assert update["conversation"]["id"] == conversation["id"]
            messages = await place.client.get(
                f"/api/v1/conversations/{conversation['id']}/messages", headers=bearer(olga["access_token"])
            )
            [first] = messages.json()["messages"]
            assert (first["sender_type"], first["sender_id"], first["text"]) == (
                "operator",
                olga["user"]["id"],
                "Looking for a laptop? I can help.",
            )
            await send(
                tab,
                {"type": "message.send", "conversation_id": conversation["id"], "client_msg_id": "v-1", "text": "Yes!"},
            )
            assert (await next_frame(tab, "message.ack"))["message"]["seq"] == 2

            # Answered once: a second accept finds nothing.
            await send(tab, {"type": "invitation.accept", "invitation_id": invitation_id})
            refused = await next_frame(tab, "error")
            assert (refused["code"], refused["invitation_id"]) == ("invitation_not_found", invitation_id)

        assert await eventually(
            lambda: bool(place.of("invitation.accepted")) and bool(place.of("conversation.started"))
        )
        [shown] = place.of("invitation.shown", invitation_id)
        [accepted_event] = place.of("invitation.accepted", invitation_id)
        assert accepted_event["conversation_id"] == conversation["id"]
        assert (accepted_event["operator_id"], accepted_event["rule_id"], accepted_event["variant"]) == (
            olga["user"]["id"],
            None,
            None,
        )
        assert shown["visitor_id"] == visitor_id and shown["site_id"] == conversation["site_id"]
        [started_event] = place.of("conversation.started")
        assert started_event["invitation_id"] == invitation_id


async def test_a_call_made_while_the_visitor_is_between_two_pages_shows_on_their_next_page(settings: Settings) -> None:
    async with floor(settings) as place:
        token, visitor_id = await shopper(place)
        ivan = await login(place.client, "ivan@demo.example")
        answer = await place.client.post(
            f"/api/v1/visitors/{visitor_id}/invitations", json={"auto_open": True}, headers=bearer(ivan["access_token"])
        )
        assert answer.status_code == 201, answer.text
        async with open_socket(place.base, "/ws/visitor", token) as next_page:
            invitation = await next_frame(next_page, "invitation", within=1.0)
        assert invitation["invitation_id"] == answer.json()["invitation_id"]
        assert invitation["auto_open"] is True and invitation["text"] == "Hello! Can I help you?"


async def test_a_closed_invitation_and_an_expired_one_are_told_once_each(settings: Settings) -> None:
    settings.invitation_ttl_seconds = 2
    async with floor(settings) as place:
        token, visitor_id = await shopper(place)
        olga = await login(place.client, "olga@demo.example")
        async with (
            open_socket(place.base, "/ws/visitor", token) as tab,
            open_socket(place.base, "/ws/visitor", token) as other,
        ):
            ids = []
            for text in ("First?", "Second?"):
                answer = await place.client.post(
                    f"/api/v1/visitors/{visitor_id}/invitations",
                    json={"text": text},
                    headers=bearer(olga["access_token"]),
                )
                ids.append(answer.json()["invitation_id"])
                await next_frame(tab, "invitation")
            closed, expiring = ids
            await send(tab, {"type": "invitation.close", "invitation_id": closed})
            await send(other, {"type": "invitation.close", "invitation_id": closed})  # the other tab at once
            gone = await next_frame(other, "invitation.withdrawn")
            assert (gone["invitation_id"], gone["reason"]) == (closed, "closed")
            expired = await next_frame(other, "invitation.withdrawn", within=5)
            assert (expired["invitation_id"], expired["reason"]) == (expiring, "expired")
        assert await eventually(lambda: bool(place.of("invitation.expired")))
        assert len(place.of("invitation.closed", closed)) == 1
        assert len(place.of("invitation.shown", closed)) == 1  # a close is proof it was shown
        [expired_event] = place.of("invitation.expired", expiring)
        assert expired_event["shown"] is False
        assert not place.of("invitation.closed", expiring) and not place.of("invitation.expired", closed)


async def test_a_rules_invitation_relayed_to_the_visitor_is_answered_with_its_rule_and_variant(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        token, visitor_id = await shopper(place)
        stranger = (await visitor_session(place.client))["visitor_token"]
        async with (
            open_socket(place.base, "/ws/visitor", token) as tab,
            open_socket(place.base, "/ws/visitor", stranger) as other,
        ):
            frame = {
                "type": "invitation",
                "invitation_id": str(uuid.uuid4()),
                "rule_id": "rule-it-3min",
                "variant": "B",
                "text": "Three minutes among the laptops: shall we talk?",
                "operator": None,
                "auto_open": False,
                "delay_s": 0,
            }
            await place.bus.publish(f"visitor:{visitor_id}", frame)  # as the rules service does
            assert (await next_frame(tab, "invitation"))["rule_id"] == "rule-it-3min"
            # another visitor cannot answer it, even knowing its id
            await send(other, {"type": "invitation.accept", "invitation_id": frame["invitation_id"]})
            assert (await next_frame(other, "error"))["code"] == "invitation_not_found"
            await send(tab, {"type": "invitation.accept", "invitation_id": frame["invitation_id"]})
            conversation = (await next_frame(tab, "invitation.accepted"))["conversation"]
        assert conversation["state"] == "waiting"  # a rule's invitation goes to the queue
        assert (conversation["rule_id"], conversation["variant"]) == ("rule-it-3min", "B")
        assert await eventually(lambda: bool(place.of("invitation.accepted")))
        [accepted] = place.of("invitation.accepted", frame["invitation_id"])
        assert (accepted["rule_id"], accepted["variant"], accepted["operator_id"]) == ("rule-it-3min", "B", None)
        assert place.of("invitation.shown", frame["invitation_id"])


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_a_call_is_refused_to_visitors_for_unknown_visitors_and_for_bad_bodies(settings: Settings) -> None:
    async with floor(settings) as place:
        token, visitor_id = await shopper(place)
        olga = bearer((await login(place.client, "olga@demo.example"))["access_token"])
        path = f"/api/v1/visitors/{visitor_id}/invitations"
        cases = [
            (path, {}, bearer(token), 403),  # a visitor calls nobody
            (path, {}, {}, 401),
            (f"/api/v1/visitors/{uuid.uuid4()}/invitations", {}, olga, 404),
            ("/api/v1/visitors/not-an-id/invitations", {}, olga, 404),
            (path, {"text": "x" * 501}, olga, 422),
            (path, {"txt": "typo"}, olga, 422),
            (path, {"auto_open": "yes please"}, olga, 422),
        ]
        for url, body, headers, status in cases:
            answer = await place.client.post(url, json=body, headers=headers)
            assert answer.status_code == status, (url, body, answer.text)
            assert "error" in answer.json()
