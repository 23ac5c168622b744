"""Post-chat rating (EMB-10): the chat service alone, on both backends."""

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import update

from services.chat.app import create_app
from services.chat.models import conversations
from services.common.db import utcnow
from services.common.events import ConversationRated, Event
from services.common.settings import Settings
from services.common.tokens import Identity
from tests.helpers import as_identity, eventually, operator, running, visitor


async def closed_chat(client: httpx.AsyncClient, settings: Settings, guest: Identity, olga: Identity) -> str:
    started = await client.post("/api/v1/conversations", json={"text": "Hello"}, headers=as_identity(settings, guest))
    cid: str = started.json()["id"]
    assert (
        await client.post(f"/api/v1/conversations/{cid}/accept", headers=as_identity(settings, olga))
    ).status_code == 200
    rating = await client.post(
        f"/api/v1/conversations/{cid}/rating", json={"score": 5}, headers=as_identity(settings, guest)
    )
    assert (rating.status_code, rating.json()["error"]["code"]) == (409, "conversation_open")
    assert (
        await client.post(f"/api/v1/conversations/{cid}/close", headers=as_identity(settings, olga))
    ).status_code == 200
    return cid


async def test_the_visitor_rates_a_closed_chat_once_and_its_operator_sees_it(settings: Settings) -> None:
    app = create_app(settings)
    guest, olga = visitor(), operator()
    async with running(app) as client:
        rated_events: list[Event] = []

        async def heard(event: Event) -> None:
            rated_events.append(event)

        await app.state.runtime.bus.consume(f"probe-{uuid.uuid4().hex[:6]}", [ConversationRated.TYPE], heard)
        cid = await closed_chat(client, settings, guest, olga)
        url = f"/api/v1/conversations/{cid}/rating"
        before = await client.get(url, headers=as_identity(settings, olga))
        assert before.status_code == 200 and before.json() == {"rating": None}

        rated = await client.post(
            url, json={"score": 4, "comment": "  Quick <b>help</b>  "}, headers=as_identity(settings, guest)
        )
        assert rated.status_code == 201, rated.text
        assert (rated.json()["score"], rated.json()["comment"]) == (4, "Quick <b>help</b>")
        for reader in (olga, guest):
            shown = (await client.get(url, headers=as_identity(settings, reader))).json()["rating"]
            assert (shown["score"], shown["comment"]) == (4, "Quick <b>help</b>")

        again = await client.post(url, json={"score": 1}, headers=as_identity(settings, guest))
        assert (again.status_code, again.json()["error"]["code"]) == (409, "already_rated")
        assert (await client.get(url, headers=as_identity(settings, olga))).json()["rating"]["score"] == 4

        assert await eventually(lambda: bool(rated_events)), "reporting hears of it: conversation.rated"
        assert rated_events[0].payload["score"] == 4 and rated_events[0].payload["has_comment"] is True


async def test_only_its_visitor_rates_with_a_valid_score_within_the_window(settings: Settings) -> None:
    app = create_app(settings)
    guest, olga = visitor(), operator()
    async with running(app) as client:
        cid = await closed_chat(client, settings, guest, olga)
        url = f"/api/v1/conversations/{cid}/rating"
        for stranger in (visitor(), visitor(account_id="acc-2"), operator()):
            refused = await client.post(url, json={"score": 3}, headers=as_identity(settings, stranger))
            assert refused.status_code in (403, 404), refused.text
        outsider = await client.get(url, headers=as_identity(settings, operator(account_id="acc-2")))
        assert outsider.status_code == 404
        for bad in ({"score": 0}, {"score": 6}, {"score": "five"}, {}, {"score": 3, "comment": "x" * 1001}):
            answer = await client.post(url, json=bad, headers=as_identity(settings, guest))
            assert answer.status_code == 422 and answer.json()["error"], (bad, answer.text)
        assert (await client.get(url, headers=as_identity(settings, olga))).json() == {"rating": None}

        async with app.state.runtime.db.transaction() as conn:
            await conn.execute(
                update(conversations).where(conversations.c.id == cid).values(closed_at=utcnow() - timedelta(days=8))
            )
        late = await client.post(url, json={"score": 3}, headers=as_identity(settings, guest))
        assert (late.status_code, late.json()["error"]["code"]) == (409, "rating_window_over")
