"""Who sees a conversation (SEC-2), invited operators (CHAT-6), watching and joining (OPS-7), group conversations
(CHAT-7): on the chat service, SQLite + memory bus and PostgreSQL + Redis."""

from services.common.settings import Settings
from tests.helpers import eventually
from tests.services.people_harness import chat, code_of


async def test_an_operator_neither_hears_nor_reads_a_colleagues_conversation(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, boris, sonia = c.operator("Anna"), c.operator("Boris"), c.operator("Sonia", role="supervisor")
        guest, other_guest = c.visitor(), c.visitor()
        await c.online(anna, boris, sonia)
        for who in (anna, boris, sonia):
            await c.hear(who)
        waiting = await c.start(other_guest, "Anyone?")  # an account without queues: any operator may take it
        conversation = await c.accepted(guest, anna, "My card number is 4111")
        cid = conversation["id"]
        assert (await c.say(anna, cid, "Anna here")).status_code == 201
        assert (await c.say(guest, cid, "Thanks")).status_code == 201
        await c.heard_soon(anna, "message.created", cid, count=3)
        await c.heard_soon(sonia, "message.created", cid, count=3)  # managers hear everything of the account
        await c.heard_soon(boris, "message.created", waiting["id"])  # a waiting chat he may take

        boris_heard_after_accept = [f for f in c.heard(boris, cid) if f["type"] == "message.created"]
        assert [f["message"]["text"] for f in boris_heard_after_accept] == ["My card number is 4111"]  # while waiting
        assert c.heard(boris, cid)[-1]["conversation"]["state"] == "active"  # he heard it was taken, nothing after
        assert "Anna here" not in str(c.heard(boris))
        for path in (f"/api/v1/conversations/{cid}", f"/api/v1/conversations/{cid}/messages"):
            assert code_of(await c.client.get(path, headers=c.headers(boris))) == (404, "conversation_not_found")
        assert code_of(await c.say(boris, cid, "Boris butting in")) == (404, "conversation_not_found")
        assert code_of(await c.client.post(f"/api/v1/conversations/{cid}/close", headers=c.headers(boris)))[0] == 404
        active = await c.client.get("/api/v1/conversations?state=active", headers=c.headers(boris))
        assert active.json()["conversations"] == []
        listed = await c.client.get("/api/v1/conversations?state=waiting", headers=c.headers(boris))
        assert [x["id"] for x in listed.json()["conversations"]] == [waiting["id"]]
        everything = await c.client.get("/api/v1/conversations?state=active", headers=c.headers(sonia))
        assert [x["id"] for x in everything.json()["conversations"]] == [cid]
        mine = await c.client.get("/api/v1/conversations?state=active", headers=c.headers(anna))
        assert mine.json()["conversations"][0]["participants"] == [
            {"user_id": anna.user_id, "name": "Anna", "role": "assigned"}
        ]


async def test_waiting_chats_of_a_queue_reach_its_members_and_no_one_else(settings: Settings) -> None:
    async with chat(settings) as c:
        admin, member, outsider = c.operator("Ada", role="admin"), c.operator("Mia"), c.operator("Otto")
        await c.online(member, outsider, status="away")  # nobody online: nothing is offered, the chat waits
        queue = {"name": "Sales", "strategy": "manual", "members": [{"user_id": member.user_id, "priority": 1}]}
        made = await c.client.post("/api/v1/queues", json=queue, headers=c.headers(admin))
        assert made.status_code == 201, made.text
        await c.hear(member)
        await c.hear(outsider)
        conversation = await c.start(c.visitor(), "Do you ship to Porto?")
        await c.heard_soon(member, "message.created", conversation["id"])
        assert c.heard(outsider, conversation["id"]) == []
        listed = await c.client.get("/api/v1/conversations?state=waiting", headers=c.headers(outsider))
        assert listed.json()["conversations"] == []
        answer = await c.client.post(f"/api/v1/conversations/{conversation['id']}/accept", headers=c.headers(outsider))
        assert code_of(answer) == (404, "conversation_not_found")
        taken = await c.client.post(f"/api/v1/conversations/{conversation['id']}/accept", headers=c.headers(member))
        assert taken.status_code == 200, taken.text


async def test_an_invited_operator_hears_everything_writes_and_may_leave(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, boris = c.operator("Anna"), c.operator("Boris")
        guest = c.visitor()
        await c.online(anna, boris)
        await c.hear(boris)
        await c.listen(f"visitor:{guest.visitor_id}")
        cid = (await c.accepted(guest, anna))["id"]
        invite = {"operator_id": boris.user_id, "note": "Knows our returns policy"}
        answer = await c.client.post(f"/api/v1/conversations/{cid}/participants", json=invite, headers=c.headers(anna))
        assert answer.status_code == 200, answer.text
        assert [(p["name"], p["role"]) for p in answer.json()["participants"]] == [
            ("Anna", "assigned"),
            ("Boris", "invited"),
        ]
        (invited,) = await c.heard_soon(boris, "conversation.invited", cid)
        assert invited["user_id"] == boris.user_id and invited["note"] == "Knows our returns policy"
        assert [m["text"] for m in (await c.history(boris, cid)).json()["messages"]] == ["Hello?"]
        assert (await c.say(boris, cid, "Boris from returns")).status_code == 201
        assert (await c.say(guest, cid, "Great")).status_code == 201
        texts = [f["message"]["text"] for f in await c.heard_soon(boris, "message.created", cid, count=3)]
        assert sorted(texts) == ["Boris from returns", "Great", "Hello?"]  # "Hello?" while it waited
        await c.heard_soon(guest, "message.created", cid, count=2)

        again = await c.client.post(f"/api/v1/conversations/{cid}/participants", json=invite, headers=c.headers(anna))
        assert len(again.json()["participants"]) == 2  # invited once
        left = await c.client.delete(
            f"/api/v1/conversations/{cid}/participants/{boris.user_id}", headers=c.headers(boris)
        )
        assert left.status_code == 200 and [p["name"] for p in left.json()["participants"]] == ["Anna"]
        assert code_of(await c.history(boris, cid)) == (404, "conversation_not_found")
        assignee = f"/api/v1/conversations/{cid}/participants/{anna.user_id}"
        assert code_of(await c.client.delete(assignee, headers=c.headers(anna))) == (409, "assigned_operator")


async def test_inviting_someone_unknown_offline_or_of_another_account_is_refused_clearly(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, resting, boris = c.operator("Anna"), c.operator("Rita"), c.operator("Boris")
        stranger = c.operator("Sam", account_id="another-account")
        await c.online(anna, boris, stranger)
        await c.online(resting, status="break")
        cid = (await c.accepted(c.visitor(), anna))["id"]
        url = f"/api/v1/conversations/{cid}/participants"
        cases = {
            "unknown-user": (404, "operator_not_found"),
            stranger.user_id: (404, "operator_not_found"),
            resting.user_id: (409, "operator_unavailable"),
        }
        for operator_id, expected in cases.items():
            answer = await c.client.post(url, json={"operator_id": operator_id}, headers=c.headers(anna))
            assert code_of(answer) == expected, operator_id
        assert (await c.client.post(url, json={}, headers=c.headers(anna))).status_code == 422
        long_note = {"operator_id": boris.user_id, "note": "x" * 1001}
        assert (await c.client.post(url, json=long_note, headers=c.headers(anna))).status_code == 422
        outsider_call = await c.client.post(url, json={"operator_id": boris.user_id}, headers=c.headers(boris))
        assert code_of(outsider_call) == (404, "conversation_not_found")  # Boris is not in it: he does not see it
        foreign = await c.client.post(url, json={"operator_id": boris.user_id}, headers=c.headers(stranger))
        assert code_of(foreign) == (404, "conversation_not_found")


async def test_a_supervisor_watches_silently_then_joins_and_writes(settings: Settings) -> None:
    async with chat(settings) as c:
        anna, sonia = c.operator("Anna"), c.operator("Sonia", role="supervisor")
        guest = c.visitor()
        await c.online(anna, sonia)
        await c.listen(f"visitor:{guest.visitor_id}")
        cid = (await c.accepted(guest, anna))["id"]
        await c.heard_soon(guest, "conversation.updated", cid, count=2)
        before = len(c.heard(guest, cid))
        watched = await c.client.post(f"/api/v1/conversations/{cid}/watch", headers=c.headers(sonia))
        assert watched.status_code == 200, watched.text
        assert ("Sonia", "watching") in [(p["name"], p["role"]) for p in watched.json()["participants"]]
        seen_by_visitor = await c.client.get("/api/v1/conversations/current", headers=c.headers(guest))
        assert [p["name"] for p in seen_by_visitor.json()["participants"]] == ["Anna"]
        assert (await c.say(anna, cid, "Anna again")).status_code == 201
        await c.heard_soon(guest, "message.created", cid, count=2)
        assert all("Sonia" not in str(f) for f in c.heard(guest, cid)[before:])  # the visitor was never told

        operator_watch = await c.client.post(f"/api/v1/conversations/{cid}/watch", headers=c.headers(anna))
        assert code_of(operator_watch) == (403, "insufficient_role")
        joined = await c.client.post(f"/api/v1/conversations/{cid}/join", headers=c.headers(sonia))
        assert ("Sonia", "invited") in [(p["name"], p["role"]) for p in joined.json()["participants"]]
        assert (await c.say(sonia, cid, "Sonia, supervisor, joining")).status_code == 201
        unwatched = await c.client.delete(f"/api/v1/conversations/{cid}/watch", headers=c.headers(sonia))
        assert unwatched.status_code == 200  # not watching any more (she joined): unchanged
        other = c.operator("Olaf", role="admin", account_id="another-account")
        for action in ("watch", "join"):
            answer = await c.client.post(f"/api/v1/conversations/{cid}/{action}", headers=c.headers(other))
            assert code_of(answer) == (404, "conversation_not_found")


async def test_a_group_conversation_reaches_every_visitor_with_each_ones_name(settings: Settings) -> None:
    async with chat(settings) as c:
        anna = c.operator("Anna")
        first, second, outsider = c.visitor(), c.visitor(), c.visitor()
        await c.online(anna)
        for guest in (first, second, outsider):
            await c.listen(f"visitor:{guest.visitor_id}")
        body = {
            "visitors": [{"visitor_id": v.visitor_id, "site_id": "site-1"} for v in (first, second)],
            "text": "Hello both: about your group booking",
        }
        started = await c.client.post("/internal/v1/group-conversations", json=body, headers=c.headers(anna))
        assert started.status_code == 201, started.text
        group = started.json()
        assert group["kind"] == "group" and group["state"] == "active" and group["assigned_user_id"] == anna.user_id
        assert [v["name"] for v in group["visitors"]] == ["Visitor 1", "Visitor 2"]
        cid = group["id"]
        for guest in (first, second):
            current = await c.client.get("/api/v1/conversations/current", headers=c.headers(guest))
            assert current.json()["id"] == cid
            await c.heard_soon(guest, "message.created", cid)
        assert (await c.say(second, cid, "Count me in")).status_code == 201
        (_, said) = await c.heard_soon(first, "message.created", cid, count=2)
        assert said["message"]["text"] == "Count me in" and said["message"]["sender_name"] == "Visitor 2"
        assert c.heard(outsider) == []
        assert code_of(await c.history(outsider, cid)) == (404, "conversation_not_found")
        closing = await c.client.post(f"/api/v1/conversations/{cid}/close", headers=c.headers(first))
        assert code_of(closing) == (403, "group_conversation")

        def rejected(visitors: list[dict[str, str]]) -> dict[str, object]:
            return {"visitors": visitors, "text": "hi"}

        one = [{"visitor_id": first.visitor_id, "site_id": "site-1"}]
        for bad in (rejected(one), rejected(one * 2), rejected([]), {"visitors": one * 2}):
            answer = await c.client.post("/internal/v1/group-conversations", json=bad, headers=c.headers(anna))
            assert answer.status_code == 422, bad
        assert await eventually(lambda: True)
