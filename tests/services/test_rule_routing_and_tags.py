"""A rule's `route_to_queue` and `tag_visitor` actions (ENG-4): the invitation of a rule that routes to a queue
starts, once accepted, a conversation in that queue (not the account's first; a queue deleted since: the first);
the tags it puts on the visitor are stored by tracking and shown in the visitor's detail and the live list; a
`visitor.tagged` of another account tags nobody. Over real sockets, the gateway with chat, tracking and the rules
in process, on both backends."""

import json
from typing import Any

import httpx

from services.common.db import utcnow
from services.common.events import VisitorTagged
from services.common.settings import Settings
from services.gateway.demo.seed import demo_tracking_settings
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import eventually
from tests.services.test_invitations import Floor, bearer
from tests.services.test_rules_live import floor, view


async def queue(place: Floor, token: str, name: str, priority: int) -> str:
    made = await place.client.post("/api/v1/queues", json={"name": name, "priority": priority}, headers=bearer(token))
    assert made.status_code == 201, made.text
    queue_id: str = made.json()["id"]
    return queue_id


async def routing_rule(place: Floor, token: str, queue_id: str) -> tuple[str, dict[str, Any]]:
    """The demo site's id, and a rule that invites on the first page view, routes to `queue_id` and tags."""
    site_id = (await place.client.get("/api/v1/sites", headers=bearer(token))).json()["sites"][0]["id"]
    stored = await place.client.put(
        f"/api/v1/track/settings/{site_id}", json=demo_tracking_settings(), headers=bearer(token)
    )
    assert stored.status_code == 200, stored.text
    rule = {
        "name": "Laptops to the IT desk",
        "conditions": {"type": "pages_viewed", "value": 1},
        "actions": [
            {"type": "show_invitation", "text": "Questions about laptops?"},
            {"type": "route_to_queue", "queue_id": queue_id},
            {"type": "tag_visitor", "tag": "laptops"},
            {"type": "tag_visitor", "tag": "hot lead"},
        ],
    }
    answers: list[httpx.Response] = []

    async def created() -> bool:  # the rules hear of the demo site from the gateway's events
        answers.append(await place.client.post(f"/api/v1/sites/{site_id}/rules", json=rule, headers=bearer(token)))
        return answers[-1].status_code == 201

    assert await eventually(created, 30), answers[-1].text
    return site_id, answers[-1].json()


async def accepted_conversation(place: Floor, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new visitor views a page, gets the rule's invitation and accepts it: (invitation, conversation)."""
    async with open_socket(place.base, "/ws/visitor", token) as tab:
        await view(place, token, "informatica")
        invitation = await next_frame(tab, "invitation", within=20)
        await tab.send(json.dumps({"type": "invitation.accept", "invitation_id": invitation["invitation_id"]}))
        accepted = await next_frame(tab, "invitation.accepted", within=20)
    conversation: dict[str, Any] = accepted["conversation"]
    return invitation, conversation


async def test_an_accepted_invitation_of_a_rule_that_routes_goes_to_its_queue_and_its_tags_are_stored(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        operator = await login(place.client)
        admin, account_id = operator["access_token"], operator["user"]["account_id"]
        await queue(place, admin, "Sales", 0)  # the account's first queue
        it_desk = await queue(place, admin, "IT desk", 5)
        site_id, rule = await routing_rule(place, admin, it_desk)
        session = await visitor_session(place.client)
        token, visitor_id = session["visitor_token"], session["visitor_id"]

        invitation, conversation = await accepted_conversation(place, token)
        assert invitation["rule_id"] == rule["id"]
        assert (conversation["rule_id"], conversation["queue_id"]) == (rule["id"], it_desk)

        detail_url = f"/api/v1/visitors/{visitor_id}"

        async def tagged() -> bool:
            answer = await place.client.get(detail_url, headers=bearer(admin))
            return answer.status_code == 200 and answer.json()["tags"] == ["hot lead", "laptops"]

        assert await eventually(tagged), (await place.client.get(detail_url, headers=bearer(admin))).text

        async def listed() -> bool:
            live = (await place.client.get("/api/v1/visitors/live", headers=bearer(admin))).json()["visitors"]
            return [v["tags"] for v in live if v["visitor_id"] == visitor_id] == [["hot lead", "laptops"]]

        assert await eventually(listed)

        # Another account's event names the visitor: nothing changes; the account's own adds its tag.
        for owner, tag in (("another-account", "forged"), (account_id, "returning")):
            forged = VisitorTagged(site_id=site_id, visitor_id=visitor_id, tags=[tag], rule_id=rule["id"], at=utcnow())
            await place.bus.publish_event(forged.to_event(owner))

        async def retagged() -> bool:
            return (await place.client.get(detail_url, headers=bearer(admin))).json()["tags"] == [
                "hot lead",
                "laptops",
                "returning",
            ]

        assert await eventually(retagged), (await place.client.get(detail_url, headers=bearer(admin))).text


async def test_a_rule_whose_queue_was_deleted_routes_the_accepted_invitation_to_the_first_queue(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        admin = (await login(place.client))["access_token"]
        sales = await queue(place, admin, "Sales", 0)
        gone = await queue(place, admin, "Closed desk", 5)
        _, rule = await routing_rule(place, admin, gone)
        deleted = await place.client.delete(f"/api/v1/queues/{gone}", headers=bearer(admin))
        assert deleted.status_code == 204, deleted.text
        token = (await visitor_session(place.client))["visitor_token"]
        _, conversation = await accepted_conversation(place, token)
        assert (conversation["rule_id"], conversation["queue_id"]) == (rule["id"], sales)


async def test_a_chat_the_visitor_starts_after_a_rule_routed_them_moves_to_its_queue_unless_they_picked_one(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        admin = (await login(place.client))["access_token"]
        sales = await queue(place, admin, "Sales", 0)
        it_desk = await queue(place, admin, "IT desk", 5)
        site_id = (await place.client.get("/api/v1/sites", headers=bearer(admin))).json()["sites"][0]["id"]
        rule = {
            "name": "Route lingering IT visitors",
            "conditions": {"type": "pages_viewed", "value": 1},
            "actions": [{"type": "route_to_queue", "queue_id": it_desk}, {"type": "tag_visitor", "tag": "routed"}],
        }

        async def created() -> bool:
            answer = await place.client.post(f"/api/v1/sites/{site_id}/rules", json=rule, headers=bearer(admin))
            return answer.status_code == 201

        assert await eventually(created, 30)

        async def routed_visitor() -> str:
            """A visitor the rule fired for (their tag says so), who has not chatted yet."""
            session = await visitor_session(place.client)
            token, visitor_id = session["visitor_token"], session["visitor_id"]
            await view(place, token, "informatica")

            async def fired() -> bool:
                answer = await place.client.get(f"/api/v1/visitors/{visitor_id}", headers=bearer(admin))
                return answer.status_code == 200 and answer.json()["tags"] == ["routed"]

            assert await eventually(fired)
            return str(token)

        picked, left = await routed_visitor(), await routed_visitor()
        chosen = await place.client.post("/api/v1/conversations", json={"queue_id": sales}, headers=bearer(picked))
        assert chosen.status_code == 201, chosen.text
        started = await place.client.post("/api/v1/conversations", json={}, headers=bearer(left))
        assert started.status_code == 201, started.text
        assert started.json()["queue_id"] == sales  # the account's first, until the rules ask chat to move it

        async def moved() -> bool:
            current = await place.client.get("/api/v1/conversations/current", headers=bearer(left))
            return bool(current.json()["queue_id"] == it_desk)

        assert await eventually(moved)
        mine = await place.client.get("/api/v1/conversations/current", headers=bearer(picked))
        assert mine.json()["queue_id"] == sales  # the visitor's own pick stays
