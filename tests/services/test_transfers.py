"""Transferring a conversation (CHAT-6) to an operator or a queue, and its refusals: on the chat service,
SQLite + memory bus and PostgreSQL + Redis."""

from services.common.settings import Settings
from tests.helpers import eventually
from tests.services.people_harness import chat, code_of


async def test_a_transfer_to_an_operator_hands_over_the_chat_with_its_history_and_a_note(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, boris, carl = c.operator("Anna"), c.operator("Boris"), c.operator("Carl")
        guest = c.visitor()
        await c.online(anna, boris, carl)
        for who in (anna, boris, carl):
            await c.hear(who)
        await c.listen(f"visitor:{guest.visitor_id}")
        cid = (await c.accepted(guest, anna, "I need an invoice"))["id"]
        assert (await c.say(anna, cid, "One moment")).status_code == 201
        body = {"to_operator_id": boris.user_id, "note": "Wants an invoice for order 77"}
        answer = await c.client.post(f"/api/v1/conversations/{cid}/transfer", json=body, headers=c.headers(anna))
        assert answer.status_code == 200, answer.text
        moved = answer.json()
        assert moved["state"] == "active" and moved["assigned_user_id"] == boris.user_id
        assert moved["participants"] == [{"user_id": boris.user_id, "name": "Boris", "role": "assigned"}]

        (transferred,) = await c.heard_soon(boris, "conversation.transferred", cid)
        assert transferred["note"] == "Wants an invoice for order 77"
        assert (transferred["from_user_id"], transferred["to_user_id"]) == (anna.user_id, boris.user_id)
        assert all(f["type"] != "conversation.transferred" for f in c.heard(guest, cid))  # the note is staff's
        said = await c.heard_soon(guest, "message.created", cid, count=3)
        assert said[-1]["message"]["sender_type"] == "system"
        assert said[-1]["message"]["text"] == "You are being connected to Boris."

        def anna_heard_it_went() -> bool:  # her list drops it
            updates = [f for f in c.heard(anna, cid) if f["type"] == "conversation.updated"]
            return any(f["conversation"]["assigned_user_id"] == boris.user_id for f in updates)

        assert await eventually(anna_heard_it_went)
        assert c.heard(carl, cid)[-1]["conversation"]["state"] == "active"  # nothing of it after it was taken

        history = await c.history(boris, cid)
        assert [m["text"] for m in history.json()["messages"]][:2] == ["I need an invoice", "One moment"]
        assert (await c.say(boris, cid, "Boris here, sending it")).status_code == 201
        assert code_of(await c.history(anna, cid)) == (404, "conversation_not_found")
        assert code_of(await c.say(anna, cid, "still me?")) == (404, "conversation_not_found")


async def test_a_transfer_to_a_queue_waits_there_and_is_offered_to_its_member(settings: Settings) -> None:
    async with chat(settings) as c:
        admin, anna, quinn = c.operator("Ada", role="admin"), c.operator("Anna"), c.operator("Quinn")
        guest = c.visitor()
        await c.online(anna, quinn)
        await c.hear(quinn)
        cid = (await c.accepted(guest, anna))["id"]  # started before any queue: nobody routes it
        queue = {"name": "Billing", "members": [{"user_id": quinn.user_id, "priority": 1}]}
        made = await c.client.post("/api/v1/queues", json=queue, headers=c.headers(admin))
        assert made.status_code == 201, made.text
        body = {"to_queue_id": made.json()["id"], "note": "Billing question"}
        answer = await c.client.post(f"/api/v1/conversations/{cid}/transfer", json=body, headers=c.headers(anna))
        assert answer.status_code == 200, answer.text
        moved = answer.json()
        assert moved["state"] == "waiting" and moved["queue_id"] == made.json()["id"]
        assert moved["offered_user_id"] == quinn.user_id  # routed at once: she is its member online with room
        (transferred,) = await c.heard_soon(quinn, "conversation.transferred", cid)
        assert transferred["to_queue_id"] == made.json()["id"] and transferred["to_user_id"] is None
        await c.heard_soon(quinn, "conversation.offered", cid)
        taken = await c.client.post(f"/api/v1/conversations/{cid}/accept", headers=c.headers(quinn))
        assert taken.status_code == 200, taken.text
        texts = [m["text"] for m in (await c.history(quinn, cid)).json()["messages"]]
        assert texts == ["Hello?", "You are being connected to another colleague."]


async def test_a_transfer_to_someone_who_cannot_take_it_is_refused_clearly(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, busy, resting, boris = c.operator("Anna"), c.operator("Bea"), c.operator("Rita"), c.operator("Boris")
        admin = c.operator("Ada", role="admin")
        stranger = c.operator("Sam", account_id="another-account")
        await c.online(anna, busy, boris, stranger)
        await c.online(resting, status="away")
        capacity = await c.client.put(
            f"/api/v1/operators/{busy.user_id}/capacity", json={"max_chats": 1}, headers=c.headers(admin)
        )
        assert capacity.status_code == 200, capacity.text
        await c.accepted(c.visitor(), busy)  # her one chat
        cid = (await c.accepted(c.visitor(), anna))["id"]
        foreign_queue = await c.client.post(
            "/api/v1/queues", json={"name": "Theirs"}, headers=c.headers(c.operator("Al", "admin", "another-account"))
        )
        url = f"/api/v1/conversations/{cid}/transfer"
        cases = [
            ({"to_operator_id": "nobody"}, (404, "operator_not_found")),
            ({"to_operator_id": stranger.user_id}, (404, "operator_not_found")),
            ({"to_operator_id": resting.user_id}, (409, "operator_unavailable")),
            ({"to_operator_id": busy.user_id}, (409, "at_capacity")),
            ({"to_operator_id": anna.user_id}, (409, "already_assigned")),
            ({"to_queue_id": "no-such-queue"}, (404, "queue_not_found")),
            ({"to_queue_id": foreign_queue.json()["id"]}, (404, "queue_not_found")),
            ({"to_operator_id": boris.user_id, "to_queue_id": foreign_queue.json()["id"]}, (422, "validation_error")),
            ({}, (422, "validation_error")),
            ({"to_operator_id": boris.user_id, "note": "x" * 1001}, (422, "validation_error")),
        ]
        for body, expected in cases:
            answer = await c.client.post(url, json=body, headers=c.headers(anna))
            assert code_of(answer) == expected, (body, answer.text)
        unchanged = await c.client.get(f"/api/v1/conversations/{cid}", headers=c.headers(anna))
        assert unchanged.json()["assigned_user_id"] == anna.user_id
        by_outsider = await c.client.post(url, json={"to_operator_id": anna.user_id}, headers=c.headers(boris))
        assert code_of(by_outsider) == (404, "conversation_not_found")
        by_stranger = await c.client.post(url, json={"to_operator_id": boris.user_id}, headers=c.headers(stranger))
        assert code_of(by_stranger) == (404, "conversation_not_found")
        visitor_call = await c.client.post(url, json={"to_operator_id": boris.user_id}, headers=c.headers(c.visitor()))
        assert visitor_call.status_code == 403
