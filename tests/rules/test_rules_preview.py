"""The rules editor's live views through the gateway: a rule's preview (which of the site's live visitors it
matches now, saved or not) and its explanation for one visitor (the tree with each condition's value and
result, and the caps' answer); another account's site, rule or visitor is not found; operators may not.

The live visitors are those the rules service's `LiveRules` holds: fed here the way its consumer feeds it
(`page_views`, chat's `operator.presence_changed`), so the answers follow what the visitors did."""

from datetime import UTC, datetime
from typing import Any

from services.common.events import OperatorPresenceChanged, PageView
from services.common.ids import new_id
from services.common.settings import Settings
from services.rules.consumers import RecordPresence
from services.rules.live import LiveRules
from tests.rules.floor import Account, Floor, floor

LAPTOPS = {
    "name": "Laptop browsers",
    "conditions": {
        "type": "and",
        "conditions": [
            {"type": "current_url", "op": "contains", "value": "/laptops"},
            {"type": "pages_viewed", "op": "ge", "value": 3},
            {"type": "not", "condition": {"type": "operators_online", "operator_ids": ["olga"]}},
        ],
    },
    "actions": [{"type": "show_invitation", "text": "Need help choosing a laptop?"}],
}


def live(place: Floor) -> LiveRules:
    rules: LiveRules = place.rules.state.live_rules
    return rules


async def walk(place: Floor, account: Account, urls: list[str], site_id: str | None = None) -> str:
    """A new visitor of the account's site who viewed these pages, just now, in this order."""
    visitor_id, visit_id = new_id(), new_id()
    now = datetime.now(UTC)
    views = [
        PageView(page_view_id=new_id(), visitor_id=visitor_id, visit_id=visit_id, url=url, title=url, viewed_at=now)
        for url in urls
    ]
    await live(place).page_views(account.id, site_id or account.site_id, views)
    return visitor_id


async def preview(place: Floor, account: Account, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await place.client.post(f"/api/v1/sites/{account.site_id}/rules/preview", json=body, headers=headers)


async def test_a_preview_lists_the_sites_live_visitors_and_which_the_rule_matches_now(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        supervisor = await place.staff(shop, "supervisor")
        browsing = await walk(
            place, shop, ["https://shop.example/", "https://shop.example/c", "https://shop.example/laptops/x1"]
        )
        passing = await walk(place, shop, ["https://shop.example/laptops"])
        other_site = await place.site(shop.admin)
        elsewhere = await walk(place, shop, ["https://shop.example/laptops"] * 4, site_id=other_site)

        answer = await preview(place, shop, LAPTOPS, supervisor)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["live"], body["matching"]) == (2, 1)
        assert [(v["visitor_id"], v["matched"]) for v in body["visitors"]] == [(browsing, True), (passing, False)]
        assert body["visitors"][0]["current_url"] == "https://shop.example/laptops/x1"
        assert elsewhere not in answer.text

        # Olga comes online: the `not` turns false for everyone, at once, for the same unsaved definition.
        online = OperatorPresenceChanged(
            user_id="olga", status="online", max_chats=2, active_chats=0, queue_ids=[], at=datetime.now(UTC)
        )
        await RecordPresence(place.rules.state.runtime, live(place)).handle_batch([online.to_event(shop.id)])
        again = (await preview(place, shop, LAPTOPS, shop.admin)).json()
        assert (again["live"], again["matching"]) == (2, 0)
        # A draft rule is previewed as it is, disabled or not; nothing was saved.
        draft = {**LAPTOPS, "enabled": False, "conditions": {"type": "pages_viewed", "op": "le", "value": 1}}
        assert [v["visitor_id"] for v in (await preview(place, shop, draft, shop.admin)).json()["visitors"]][:1] == [
            passing
        ]
        listed = await place.client.get(f"/api/v1/sites/{shop.site_id}/rules", headers=shop.admin)
        assert listed.json() == {"rules": [], "stats": None}


async def test_a_bad_draft_is_a_422_with_the_path_and_others_may_not_preview(settings: Settings) -> None:
    async with floor(settings) as place:
        shop, rival = await place.account(), await place.account("Rival")
        await walk(place, shop, ["https://shop.example/laptops"])
        bad = {**LAPTOPS, "conditions": {"type": "and", "conditions": [{"type": "idle", "minutes": 1}]}}
        refused = await preview(place, shop, bad, shop.admin)
        assert refused.status_code == 422, refused.text
        assert {(f["field"], f["type"]) for f in refused.json()["error"]["details"]} == {
            ("conditions.and.conditions.0.idle.seconds", "missing"),
            ("conditions.and.conditions.0.idle.minutes", "extra_forbidden"),
        }
        operator = await place.staff(shop, "operator")
        assert (await preview(place, shop, LAPTOPS, operator)).status_code == 403
        for headers in (rival.admin, await place.staff(rival, "supervisor")):
            answer = await preview(place, shop, LAPTOPS, headers)
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "site_not_found"
            assert "laptops" not in answer.text


async def test_explain_gives_each_conditions_value_and_result_for_the_visitor(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        made = await place.client.post(f"/api/v1/sites/{shop.site_id}/rules", json=LAPTOPS, headers=shop.admin)
        assert made.status_code == 201, made.text
        rule_id = made.json()["id"]
        visitor = await walk(place, shop, ["https://shop.example/", "https://shop.example/laptops/x1"])
        url = f"/api/v1/rules/{rule_id}/explain/{visitor}"

        answer = await place.client.get(url, headers=await place.staff(shop, "supervisor"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["rule_id"], body["visitor_id"], body["version"], body["matched"]) == (rule_id, visitor, 1, False)
        tree = body["tree"]
        assert (tree["type"], tree["matched"]) == ("and", False)
        url_test, pages, absent = tree["children"]
        assert (url_test["type"], url_test["matched"], url_test["value"]) == (
            "current_url",
            True,
            "https://shop.example/laptops/x1",
        )
        assert url_test["condition"] == {"op": "contains", "case_sensitive": False, "value": "/laptops"}
        assert (pages["type"], pages["matched"], pages["value"], pages["condition"]["value"]) == (
            "pages_viewed",
            False,
            2,
            3,
        )
        assert (absent["type"], absent["matched"]) == ("not", True)
        assert (absent["children"][0]["matched"], absent["children"][0]["value"]) == (False, [])
        assert body["caps"] == {"allowed": True, "reason": None}

        known = await live(place).store.get(visitor)  # the visitor as the rules replicas share it
        assert known is not None
        # One more page: the rule matches now, and fired (its invitation went out), so its caps hold it back.
        await live(place).page_views(
            shop.id,
            shop.site_id,
            [
                PageView(
                    page_view_id=new_id(),
                    visitor_id=visitor,
                    visit_id=known.state.visit_id or "",
                    url="https://shop.example/laptops/x2",
                    title="X2",
                    viewed_at=datetime.now(UTC),
                )
            ],
        )
        after = (await place.client.get(url, headers=shop.admin)).json()
        assert (after["matched"], after["tree"]["children"][1]["value"]) == (True, 3)
        assert after["caps"] == {"allowed": False, "reason": "once_per_visit"}


async def test_explain_of_another_accounts_rule_or_visitor_or_a_visitor_not_live_is_not_found(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        shop, rival = await place.account(), await place.account("Rival")
        made = await place.client.post(f"/api/v1/sites/{shop.site_id}/rules", json=LAPTOPS, headers=shop.admin)
        rule_id = made.json()["id"]
        mine = await walk(place, shop, ["https://shop.example/laptops"])
        theirs = await walk(place, rival, ["https://rival.example/laptops"])
        other_site = await place.site(shop.admin)
        on_other_site = await walk(place, shop, ["https://shop.example/laptops"], site_id=other_site)

        for headers in (rival.admin, await place.staff(rival, "supervisor")):
            answer = await place.client.get(f"/api/v1/rules/{rule_id}/explain/{mine}", headers=headers)
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "rule_not_found"
            assert "laptops" not in answer.text
        for visitor in (theirs, on_other_site, new_id()):
            answer = await place.client.get(f"/api/v1/rules/{rule_id}/explain/{visitor}", headers=shop.admin)
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "visitor_not_live", visitor
        operator = await place.staff(shop, "operator")
        assert (await place.client.get(f"/api/v1/rules/{rule_id}/explain/{mine}", headers=operator)).status_code == 403
