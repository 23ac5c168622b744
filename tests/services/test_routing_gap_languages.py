"""ROUTE-3 extras through the gateway: operators speaking the visitor's language are offered the chat first (within
the queue's strategy; nobody speaks it: anyone), a queue's minimum gap keeps an operator offered a chat a moment
ago out of its next one until the gap has passed, and every operator may list the colleagues they can transfer
to (name, status, load, queues; no contact details), while the full presence list stays the supervisors'."""

from datetime import timedelta
from typing import Any

from services.chat.routing.offers import route_waiting
from services.common.db import utcnow
from services.common.settings import Settings
from tests.chat_client import visitor_session
from tests.services.gateway_harness import bearer
from tests.services.test_routing import make_queue, offered_user, operator, stack


async def chat_in(client: Any, queue_id: str, language: str | None) -> dict[str, Any]:
    guest = await visitor_session(client)
    body: dict[str, Any] = {"text": "Hallo?", "queue_id": queue_id}
    if language is not None:
        body["language"] = language
    started = await client.post(
        "/api/v1/conversations", json=body, headers={"authorization": f"Bearer {guest['visitor_token']}"}
    )
    assert started.status_code == 201, started.text
    conversation: dict[str, Any] = started.json()
    return conversation


async def test_a_chat_goes_first_to_an_operator_speaking_its_language(settings: Settings) -> None:
    async with stack(settings) as s:
        client, admin = s.client, bearer(s.admin)
        _, olga_id = await operator(client, "olga@demo.example")
        _, ivan_id = await operator(client, "ivan@demo.example")
        spoken = await client.put(
            f"/api/v1/operators/{olga_id}/languages", json={"languages": ["de", "EN"]}, headers=admin
        )
        assert spoken.status_code == 200 and spoken.json()["languages"] == ["de", "en"]
        sales = await make_queue(client, "Sales", [(olga_id, 0), (ivan_id, 0)])

        first = await chat_in(client, sales, "de-AT")
        second = await chat_in(client, sales, "de")  # Olga is busier than Ivan now, but she speaks German
        assert (first["offered_user_id"], second["offered_user_id"]) == (olga_id, olga_id)
        assert first["language"] == "de-AT"
        nobody = await chat_in(client, sales, "fr")  # nobody speaks it: least busy, anyone
        unsaid = await chat_in(client, sales, None)
        assert (nobody["offered_user_id"], unsaid["offered_user_id"]) == (ivan_id, ivan_id)

        listed = await client.get("/api/v1/presence", headers=admin)
        assert {p["user_id"]: p["languages"] for p in listed.json()["operators"]}[olga_id] == ["de", "en"]
        bad = await client.put(f"/api/v1/operators/{olga_id}/languages", json={"languages": ["3x"]}, headers=admin)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        unknown = "00000000-0000-4000-8000-000000000000"
        gone = await client.put(f"/api/v1/operators/{unknown}/languages", json={"languages": []}, headers=admin)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "user_not_found"
        guest = await visitor_session(client)
        wrong = await client.post(
            "/api/v1/conversations",
            json={"language": "not a language!"},
            headers={"authorization": f"Bearer {guest['visitor_token']}"},
        )
        assert wrong.status_code == 422


async def test_a_queue_gap_holds_an_operators_next_chat_back_until_it_has_passed(settings: Settings) -> None:
    async with stack(settings) as s:
        client, admin = s.client, bearer(s.admin)
        _, olga_id = await operator(client, "olga@demo.example")
        for gap in (-1, 3601):
            body = {"name": "Bad", "members": [], "min_gap_seconds": gap}
            refused = await client.post("/api/v1/queues", json=body, headers=admin)
            assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "min_gap_seconds"
        calm = await make_queue(client, "Calm", [(olga_id, 0)], min_gap_seconds=60)
        assert (await client.get(f"/api/v1/queues/{calm}", headers=admin)).json()["min_gap_seconds"] == 60

        first = await chat_in(client, calm, None)
        second = await chat_in(client, calm, None)
        assert first["offered_user_id"] == olga_id and second["offered_user_id"] is None  # room, but too soon
        frames = s.chat.state.frames
        assert await route_waiting(s.runtime, frames, utcnow() + timedelta(seconds=30)) == 0
        assert await route_waiting(s.runtime, frames, utcnow() + timedelta(seconds=61)) == 1
        assert await offered_user(s, second["id"]) == olga_id

        # Without a gap (the default, 0) she gets the next ones at once.
        edited = await client.put(
            f"/api/v1/queues/{calm}", json={"name": "Calm", "members": [{"user_id": olga_id}]}, headers=admin
        )
        assert edited.status_code == 200 and edited.json()["min_gap_seconds"] == 0
        third = await chat_in(client, calm, None)
        assert third["offered_user_id"] == olga_id


async def test_every_operator_lists_their_colleagues_without_contact_details(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        _, ivan_id = await operator(client, "ivan@demo.example", status="away")
        sales = await make_queue(client, "Sales", [(ivan_id, 0)])
        await chat_in(client, sales, None)  # nobody online in Sales: it waits

        answer = await client.get("/api/v1/presence/colleagues", headers=bearer(olga))
        assert answer.status_code == 200, answer.text
        found = {c["user_id"]: c for c in answer.json()["operators"]}
        assert found[ivan_id] == {
            "user_id": ivan_id,
            "name": found[ivan_id]["name"],
            "status": "away",
            "status_changed_at": found[ivan_id]["status_changed_at"],
            "active_chats": 0,
            "max_chats": 3,
            "queue_ids": [sales],
        }
        assert found[olga_id]["status"] == "online" and found[olga_id]["queue_ids"] == []
        assert "@" not in answer.text
        full = await client.get("/api/v1/presence", headers=bearer(olga))
        assert full.status_code == 403  # the full list (capacity overrides, languages) stays the supervisors'
