"""The visit's context and the site events reach the live rules through the real path (the widget's batch ->
the gateway -> tracking's ingest -> `pageviews.recorded` -> the rules' consumer): a rule on country, device, UTM
and "added to cart twice within a minute" invites the visitor who has them, not one on a desktop. Over real
sockets, the gateway with chat, tracking and rules in process, on both backends."""

import uuid
from pathlib import Path
from typing import Any

import pytest

from services.common.settings import Settings
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.helpers import BROWSER_UA, eventually
from tests.services.test_invitations import Floor, bearer
from tests.services.test_rules_live import floor, nothing_within

GEO_TEST_DB = Path(__file__).resolve().parents[1] / "data" / "geo" / "GeoIP2-City-Test.mmdb"
LONDON_IP = "81.2.69.142"  # GB, England, London in the GeoIP2 test database
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
CONDITIONS = [
    {"type": "country", "op": "eq", "value": "GB"},
    {"type": "city", "op": "eq", "value": "London"},
    {"type": "device", "field": "class", "op": "eq", "value": "mobile"},
    {"type": "utm", "field": "source", "op": "eq", "value": "newsletter"},
    {"type": "arrived_via", "kinds": ["campaign"]},
    {"type": "site_event", "name": "added_to_cart", "op": "ge", "value": 2, "within_seconds": 60},
]

DEFINITION = {
    "name": "A London phone from the newsletter that adds to the cart",
    "conditions": {"type": "and", "conditions": CONDITIONS},
    "actions": [{"type": "show_invitation", "text": "Free delivery today!"}],
}


async def rule_of(place: Floor, admin: dict[str, Any]) -> dict[str, Any]:
    sites = await place.client.get("/api/v1/sites", headers=bearer(admin["access_token"]))
    site_id = sites.json()["sites"][0]["id"]
    rule = DEFINITION
    answers: list[Any] = []

    async def created() -> bool:  # the rules hear of the demo site from the gateway's events
        answers.append(
            await place.client.post(f"/api/v1/sites/{site_id}/rules", json=rule, headers=bearer(admin["access_token"]))
        )
        return bool(answers[-1].status_code == 201)

    assert await eventually(created, 30), answers[-1].text
    made: dict[str, Any] = answers[-1].json()
    return made


async def track(place: Floor, token: str, user_agent: str, *events: dict[str, Any]) -> None:
    headers = {**bearer(token), "user-agent": user_agent, "x-forwarded-for": LONDON_IP}
    body = {"events": list(events)}

    async def accepted() -> bool:  # 503 while tracking has not heard of the demo site yet: the widget sends again
        answer = await place.client.post("/api/v1/track/events", json=body, headers=headers)
        assert answer.status_code in (202, 503), answer.text
        assert answer.status_code == 503 or answer.json()["rejected"] == [], answer.text
        return answer.status_code == 202

    assert await eventually(accepted, 30)


async def test_a_rule_on_country_device_utm_and_a_site_event_invites_the_visitor_who_has_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOIP_DATABASE", str(GEO_TEST_DB))
    settings.trusted_proxies = "127.0.0.1"
    async with floor(settings) as place:
        admin = await login(place.client)
        rule = await rule_of(place, admin)
        phone, laptop = await visitor_session(place.client), await visitor_session(place.client)
        async with (
            open_socket(place.base, "/ws/visitor", phone["visitor_token"]) as tab,
            open_socket(place.base, "/ws/visitor", laptop["visitor_token"]) as other,
        ):
            landing = f"{place.base}/demo/informatica/?utm_source=newsletter&utm_campaign=winter"
            cart = {"type": "event", "name": "added_to_cart"}
            for session, agent in ((phone, IPHONE), (laptop, BROWSER_UA)):
                page = {"type": "pageview", "page_id": uuid.uuid4().hex, "url": landing}
                await track(place, session["visitor_token"], agent, page, cart)
            assert await nothing_within(tab, 1.0) == []  # added to the cart once only
            for session, agent in ((phone, IPHONE), (laptop, BROWSER_UA)):
                await track(place, session["visitor_token"], agent, cart)
            invitation = await next_frame(tab, "invitation", within=5)
            assert (invitation["rule_id"], invitation["text"]) == (rule["id"], "Free delivery today!")
            assert await nothing_within(other, 0.5) == []  # the same, but on a desktop

            # The editor's preview sees the same live state: the phone matches, the laptop does not.
            answer = await place.client.post(
                f"/api/v1/sites/{rule['site_id']}/rules/preview", json=DEFINITION, headers=bearer(admin["access_token"])
            )
            assert answer.status_code == 200, answer.text
            matched = {row["visitor_id"]: row["matched"] for row in answer.json()["visitors"]}
            assert (matched[phone["visitor_id"]], matched[laptop["visitor_id"]]) == (True, False)
