"""Routing, the visitor's side (ROUTE-4, EMB-4, EMB-6) through the gateway, on SQLite + memory bus and PostgreSQL +
Redis: a queue outside its hours gets no offers and shows offline; each queue's availability for the widget and
summary for the consoles; the visitor's position and expected wait, on `/current` and live; an operator declines an
offer and it goes to the next at once; a waiting chat whose visitor left is shown so, then closed as abandoned
(missed when nobody answered). Time-based behaviour is driven with an injected instant, never waited for."""

from datetime import timedelta
from typing import Any

from services.chat.routing.offers import fail_over, route_waiting
from services.chat.routing.visitors import abandon, mark_left, seen
from services.common.db import utcnow
from services.common.settings import Settings
from tests.chat_client import open_socket, visitor_session
from tests.helpers import eventually
from tests.services.gateway_harness import bearer, login, second_account
from tests.services.test_presence import client_of, served
from tests.services.test_routing import (
    ADMINS,
    Stack,
    make_queue,
    new_chat,
    offered_user,
    operator,
    stack,
)

CLOSED_ALL_WEEK = {
    "time_zone": "Europe/Berlin",
    "weekly": {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
SUMMARY_KEYS = {"queue_id", "name", "open_now", "waiting", "longest_wait_seconds", "online_operators", "free_slots"}


def visitor_headers(chat: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {chat['visitor_token']}"}


async def frames_on(s: Stack, channel: str) -> list[dict[str, Any]]:
    """Every frame published on a bus channel from now on (the list fills as they come)."""
    seen: list[dict[str, Any]] = []

    async def keep(_: str, body: dict[str, Any]) -> None:
        seen.append(body)

    await s.runtime.bus.subscribe(channel, keep)
    return seen


def of_type(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [f for f in frames if f.get("type") == kind]


async def conversation(s: Stack, conversation_id: str) -> dict[str, Any]:
    answer = await s.client.get(f"/api/v1/conversations/{conversation_id}", headers=bearer(s.admin))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_a_queue_outside_its_hours_offers_nothing_shows_offline_and_is_served_once_open(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example")
        night = await make_queue(client, "Night desk", [(olga_id, 0)], hours=CLOSED_ALL_WEEK, priority=1)
        day = await make_queue(client, "Day desk", [(olga_id, 0)], priority=2)
        guest = await visitor_session(client)
        listed = await client.get("/api/v1/queues/availability", headers=visitor_headers(guest))
        assert listed.status_code == 200, listed.text
        by_id = {q["queue_id"]: q for q in listed.json()["queues"]}
        assert by_id[night] == {
            "queue_id": night,
            "name": "Night desk",
            "online": False,
            "open_now": False,
            "hours": CLOSED_ALL_WEEK | {"holidays": []},
        }
        assert by_id[day] | {"hours": None} == {
            "queue_id": day,
            "name": "Day desk",
            "online": True,
            "open_now": True,
            "hours": None,
        }

        chat = await new_chat(client, night)  # started anyway: it waits, offered to nobody
        assert chat["queue_id"] == night and chat["offered_user_id"] is None
        assert await route_waiting(s.runtime, s.chat.state.frames) == 0
        current = (await client.get("/api/v1/conversations/current", headers=visitor_headers(chat))).json()
        assert current["position"] == 1 and current["expected_wait_seconds"] is None  # unknown while closed

        summary = await client.get("/api/v1/queues/summary", headers=bearer(s.admin))
        assert summary.status_code == 200, summary.text
        rows = {q["queue_id"]: q for q in summary.json()["queues"]}
        assert all(set(q) == SUMMARY_KEYS for q in rows.values())
        assert rows[night] | {"longest_wait_seconds": 0} == {
            "queue_id": night,
            "name": "Night desk",
            "open_now": False,
            "waiting": 1,
            "longest_wait_seconds": 0,
            "online_operators": 1,
            "free_slots": 3,
        }

        # The queue opens (here: its hours are lifted): the waiting chat is offered at once.
        body = {"name": "Night desk", "members": [{"user_id": olga_id, "priority": 0}], "priority": 1}
        assert (await client.put(f"/api/v1/queues/{night}", json=body, headers=bearer(s.admin))).status_code == 200
        assert await offered_user(s, chat["id"]) == olga_id


async def test_a_chat_in_a_closed_queue_fails_over_after_its_maximum_wait(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example")
        backup = await make_queue(client, "Backup", [(olga_id, 0)], priority=5)
        closed = await make_queue(
            client, "Closed", [(olga_id, 0)], hours=CLOSED_ALL_WEEK, failover_queue_id=backup, max_wait_seconds=30
        )
        chat = await new_chat(client, closed)
        assert chat["offered_user_id"] is None
        frames = s.chat.state.frames
        assert await fail_over(s.runtime, frames, utcnow() + timedelta(seconds=31)) == 1
        moved = await conversation(s, chat["id"])
        assert (moved["queue_id"], moved["offered_user_id"]) == (backup, olga_id)


async def test_an_operator_declines_an_offer_and_it_goes_to_the_next_at_once_never_back_to_them(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        ivan, ivan_id = await operator(client, "ivan@demo.example")
        sales = await make_queue(client, "Sales", [(olga_id, 0), (ivan_id, 0)])
        chat = await new_chat(client, sales)
        first = chat["offered_user_id"]
        holder, other, other_id = (olga, ivan, ivan_id) if first == olga_id else (ivan, olga, olga_id)

        refused = await client.post(f"/api/v1/conversations/{chat['id']}/decline", headers=bearer(other))
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_offered_to_you"
        by_visitor = await client.post(f"/api/v1/conversations/{chat['id']}/decline", headers=visitor_headers(chat))
        assert by_visitor.status_code == 403

        declined = await client.post(f"/api/v1/conversations/{chat['id']}/decline", headers=bearer(holder))
        assert declined.status_code == 200, declined.text
        assert declined.json()["offered_user_id"] == other_id  # at once, not at the offer's expiry
        # The other declines too: nobody is left, and neither is asked again (not even by the routing sweep).
        again = await client.post(f"/api/v1/conversations/{chat['id']}/decline", headers=bearer(other))
        assert again.status_code == 200 and again.json()["offered_user_id"] is None
        await route_waiting(s.runtime, s.chat.state.frames)
        assert await offered_user(s, chat["id"]) is None
        # A supervisor may still take it.
        taken = await client.post(f"/api/v1/conversations/{chat['id']}/accept", headers=bearer(s.admin))
        assert taken.status_code == 200 and taken.json()["state"] == "active"
        late = await client.post(f"/api/v1/conversations/{chat['id']}/decline", headers=bearer(other))
        assert late.status_code == 409 and late.json()["error"]["code"] == "conversation_not_waiting"


async def test_the_visitor_sees_their_position_and_expected_wait_on_current_and_live(settings: Settings) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 1}, headers=bearer(s.admin))
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        # the consoles' channel from the start: a summary goes out within 0.5 s of a change, so a subscription
        # made later may come after the summary it waits for (seen in full runs)
        operators_see = await frames_on(s, f"account:{s.admin['user']['account_id']}")
        chats = [await new_chat(client, sales) for _ in range(3)]
        assert [c["offered_user_id"] for c in chats] == [olga_id, None, None]
        places = []
        for chat in chats:
            current = await client.get("/api/v1/conversations/current", headers=visitor_headers(chat))
            assert current.status_code == 200, current.text
            places.append((current.json()["position"], current.json()["expected_wait_seconds"]))
        # Offered: about nothing; then one round of the default handling time (no chat closed yet) per place.
        assert places == [(1, 0), (2, 180), (3, 360)]

        third = await frames_on(s, f"visitor:{chats[2]['visitor_id']}")
        assert (
            await client.post(f"/api/v1/conversations/{chats[0]['id']}/accept", headers=bearer(olga))
        ).status_code == 200
        assert (
            await client.post(f"/api/v1/conversations/{chats[0]['id']}/close", headers=bearer(olga))
        ).status_code == 200

        def moved_up() -> bool:
            return any(f["position"] == 2 for f in of_type(third, "conversation.position"))

        assert await eventually(moved_up)
        frame = of_type(third, "conversation.position")[-1]
        assert frame["conversation_id"] == chats[2]["id"] and frame["queue_id"] == sales
        assert isinstance(frame["expected_wait_seconds"], int)

        def summarised() -> bool:
            return any(
                q["queue_id"] == sales and q["waiting"] == 2
                for f in of_type(operators_see, "queue.summary")
                for q in f["queues"]
            )

        assert await eventually(summarised)
        assert all(set(q) == SUMMARY_KEYS for f in of_type(operators_see, "queue.summary") for q in f["queues"])


async def test_a_waiting_chat_whose_visitor_left_is_shown_so_then_abandoned_and_counted_missed(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        olga, olga_id = await operator(client, "olga@demo.example")
        await client.put(f"/api/v1/operators/{olga_id}/capacity", json={"max_chats": 1}, headers=bearer(s.admin))
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        gone = await new_chat(client, sales)  # offered to Olga, who does not answer
        next_one = await new_chat(client, sales)
        frames, runtime = s.chat.state.frames, s.runtime
        left_after = runtime.settings.visitor_left_after_seconds
        abandon_after = runtime.settings.abandon_after_seconds

        assert await mark_left(runtime, frames, utcnow() + timedelta(seconds=left_after / 2), left_after) == 0
        later = utcnow() + timedelta(seconds=left_after + 1)
        assert await mark_left(runtime, frames, later, left_after) == 2
        left = await conversation(s, gone["id"])
        assert left["state"] == "waiting" and left["visitor_left_at"] is not None
        assert await abandon(runtime, frames, later + timedelta(seconds=abandon_after / 2), abandon_after) == 0

        # The second visitor's socket is reported again: they are back.
        await client.post(
            f"/api/v1/conversations/{next_one['id']}/messages",
            json={"client_msg_id": "m1", "text": "Still here"},
            headers=visitor_headers(next_one),
        )
        assert await seen(runtime, frames, gone["account_id"], [next_one["visitor_id"]], later) == 1
        assert (await conversation(s, next_one["id"]))["visitor_left_at"] is None

        ended = later + timedelta(seconds=abandon_after + 1)
        assert await abandon(runtime, frames, ended, abandon_after) == 1
        closed = await conversation(s, gone["id"])
        assert (closed["state"], closed["closed_reason"], closed["missed"]) == ("closed", "abandoned", True)
        # The offer it held is Olga's room again: the next chat is offered to her at once.
        assert await offered_user(s, next_one["id"]) == olga_id

        # A chat answered by an operator is not missed; one closed unanswered is.
        assert (
            await client.post(f"/api/v1/conversations/{next_one['id']}/accept", headers=bearer(olga))
        ).status_code == 200
        reply = {"client_msg_id": "r1", "text": "Hello!"}
        assert (
            await client.post(f"/api/v1/conversations/{next_one['id']}/messages", json=reply, headers=bearer(olga))
        ).status_code == 201
        answered = (
            await client.post(f"/api/v1/conversations/{next_one['id']}/close", headers=visitor_headers(next_one))
        ).json()
        assert (answered["closed_reason"], answered["missed"]) == ("closed", False)
        unanswered = await new_chat(client, sales)
        closed_unanswered = (
            await client.post(f"/api/v1/conversations/{unanswered['id']}/close", headers=visitor_headers(unanswered))
        ).json()
        assert (closed_unanswered["closed_reason"], closed_unanswered["missed"]) == ("closed", True)


async def test_a_visitor_socket_tells_chat_the_visitor_is_back(settings: Settings) -> None:
    # Real sweeps here (the gateway serves on a port): a short, generous "left" time; sockets reported often.
    async with (
        served(settings, visitor_left_after_seconds=2.0, presence_heartbeat_seconds=0.5) as [base],
        client_of(base) as client,
    ):
        ADMINS[id(client)] = admin = await login(client)
        _, olga_id = await operator(client, "olga@demo.example", status="offline")
        sales = await make_queue(client, "Sales", [(olga_id, 0)])
        chat = await new_chat(client, sales)

        async def shown_left() -> bool:
            got = await client.get(f"/api/v1/conversations/{chat['id']}", headers=bearer(admin))
            return bool(got.json()["visitor_left_at"])

        assert await eventually(shown_left)  # no socket of theirs: gone
        async with open_socket(base, "/ws/visitor", chat["visitor_token"]):

            async def back() -> bool:
                return not await shown_left()

            assert await eventually(back)


async def test_summaries_and_availability_are_the_callers_accounts_only_and_the_report_route_is_internal(
    settings: Settings,
) -> None:
    async with stack(settings) as s:
        client = s.client
        _, olga_id = await operator(client, "olga@demo.example")
        await make_queue(client, "A's queue", [(olga_id, 0)])
        b_admin = await second_account(client)
        assert (await client.get("/api/v1/queues/summary", headers=bearer(b_admin))).json() == {"queues": []}
        guest = await visitor_session(client)
        refused = await client.get(
            "/api/v1/queues/summary", headers={"authorization": f"Bearer {guest['visitor_token']}"}
        )
        assert refused.status_code == 403
        assert (await client.get("/api/v1/queues/availability", headers=bearer(b_admin))).status_code == 403
        reported = await client.post(
            "/internal/v1/conversations/visitors-seen",
            json={"visitor_ids": [guest["visitor_id"]]},
            headers={"authorization": f"Bearer {guest['visitor_token']}"},
        )
        assert reported.status_code == 404


class RecordingClients:
    """Stands in for the gateway's service clients: records the internal calls made."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def call(self, method: str, path: str, identity: Any, *, json: Any = None) -> Any:
        self.calls.append((identity.account_id, path, json))

        class Answer:
            status_code = 204

        return Answer()


async def test_gateways_report_the_visitor_sockets_they_hold_once_per_account_and_forget_closed_ones() -> None:
    from services.common.tokens import Identity
    from services.gateway.visitor_beats import SEEN, VisitorBeats

    clients = RecordingClients()
    beats = VisitorBeats(clients, interval=3600)  # type: ignore[arg-type]
    a1, a2 = (Identity(kind="visitor", account_id="A", site_id="s", visitor_id=v) for v in ("v1", "v2"))
    b1 = Identity(kind="visitor", account_id="B", site_id="t", visitor_id="v3")
    try:
        for identity in (a1, a1, a2, b1):  # a1 in two tabs
            beats.join(identity)
        assert await eventually(lambda: len(clients.calls) == 3)  # each visitor's first socket, at once
        clients.calls.clear()
        beats.leave(a1)  # one of a1's tabs: a1 is still there
        beats.leave(b1)
        await beats.beat()
        assert clients.calls == [("A", SEEN, {"visitor_ids": ["v1", "v2"]})]
    finally:
        await beats.stop()
