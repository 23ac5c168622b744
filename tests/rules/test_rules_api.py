"""The rules API through the gateway: a site's rules listed in order, created, read, replaced, changed,
moved and deleted, each edit a new version; bad input a 422 naming where; other accounts' sites and rules
404; operators read, supervisors and admins edit; a deleted site's rules go with it."""

from typing import Any

from sqlalchemy import func, select

from services.common.ids import new_id
from services.common.settings import Settings
from services.common.tokens import Identity
from services.rules.engine.conditions import MAX_DEPTH
from services.rules.models import rules
from tests.helpers import eventually
from tests.rules.floor import Account, Floor, floor

ENG_6 = {
    "name": "IT browsers",
    "conditions": {
        "type": "and",
        "conditions": [
            {"type": "time_in_section", "section": "Informática", "seconds": 180},
            {"type": "operators_online", "operator_ids": ["x", "y", "z"]},
            {"type": "pages_viewed", "op": "ge", "value": 5},
        ],
    },
    "actions": [{"type": "show_invitation", "text": "Need help choosing a notebook?", "delay_s": 2}],
}
SECOND = {
    "name": "Leaving the cart",
    "enabled": False,
    "conditions": {"type": "exit_intent"},
    "actions": [{"type": "open_chat", "message": "Anything missing?"}],
    "caps": {"not_again_days": 7},
}


async def create(place: Floor, account: Account, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    answer = await place.client.post(
        f"/api/v1/sites/{account.site_id}/rules", json=body, headers=headers or account.admin
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def names(place: Floor, account: Account) -> list[str]:
    answer = await place.client.get(f"/api/v1/sites/{account.site_id}/rules", headers=account.admin)
    assert answer.status_code == 200, answer.text
    return [r["name"] for r in answer.json()["rules"]]


def fields(answer: Any) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    body = answer.json()["error"]
    assert body["code"] == "validation_error"
    return [(f["field"], f["type"]) for f in body["details"]]


async def test_a_sites_rules_are_created_listed_in_order_and_read_back_as_stored(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        first = await create(place, shop, ENG_6)
        second = await create(place, shop, SECOND)
        assert (first["position"], first["version"], first["site_id"]) == (0, 1, shop.site_id)
        assert (second["position"], second["enabled"], second["caps"]["not_again_days"]) == (1, False, 7)
        assert first["conditions"]["conditions"][0] == {
            "type": "time_in_section",
            "section": "Informática",
            "op": "ge",
            "seconds": 180.0,
            "scope": "stay",
        }
        listed = (await place.client.get(f"/api/v1/sites/{shop.site_id}/rules", headers=shop.admin)).json()
        assert listed == {"rules": [first, second], "stats": None}
        read = await place.client.get(f"/api/v1/rules/{first['id']}", headers=shop.admin)
        assert read.status_code == 200 and read.json() == first


async def test_every_edit_is_a_new_version_and_a_stale_edit_is_refused(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        rule = await create(place, shop, ENG_6)
        path = f"/api/v1/rules/{rule['id']}"
        paused = await place.client.patch(path, json={"enabled": False, "version": 1}, headers=shop.admin)
        assert paused.status_code == 200, paused.text
        assert (paused.json()["enabled"], paused.json()["version"]) == (False, 2)
        assert paused.json()["conditions"] == rule["conditions"]  # the rest is as it was
        replaced = await place.client.put(path, json={**SECOND, "name": "Replaced"}, headers=shop.admin)
        assert replaced.status_code == 200, replaced.text
        assert (replaced.json()["name"], replaced.json()["version"]) == ("Replaced", 3)
        assert replaced.json()["conditions"] == {"type": "exit_intent", "within_seconds": 10.0}
        stale = await place.client.put(path, json={**ENG_6, "version": 2}, headers=shop.admin)
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
        assert stale.json()["error"]["details"] == {"version": 3}
        unchanged = await place.client.patch(path, json={}, headers=shop.admin)
        assert unchanged.json()["version"] == 3
        assert (await place.client.get(path, headers=shop.admin)).json()["name"] == "Replaced"


async def test_rules_move_and_deleting_one_closes_the_gap(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        made = [await create(place, shop, {**ENG_6, "name": name}) for name in ("a", "b", "c", "d")]
        moved = await place.client.post(f"/api/v1/rules/{made[3]['id']}/move", json={"position": 1}, headers=shop.admin)
        assert moved.status_code == 200, moved.text
        assert [(r["name"], r["position"]) for r in moved.json()["rules"]] == [("a", 0), ("d", 1), ("b", 2), ("c", 3)]
        assert next(r for r in moved.json()["rules"] if r["name"] == "d")["version"] == 2
        assert next(r for r in moved.json()["rules"] if r["name"] == "b")["version"] == 1  # shifted, not edited
        last = await place.client.post(f"/api/v1/rules/{made[0]['id']}/move", json={"position": 99}, headers=shop.admin)
        assert [r["name"] for r in last.json()["rules"]] == ["d", "b", "c", "a"]
        gone = await place.client.delete(f"/api/v1/rules/{made[1]['id']}", headers=shop.admin)
        assert gone.status_code == 204
        listed = (await place.client.get(f"/api/v1/sites/{shop.site_id}/rules", headers=shop.admin)).json()["rules"]
        assert [(r["name"], r["position"]) for r in listed] == [("d", 0), ("c", 1), ("a", 2)]
        assert (await place.client.get(f"/api/v1/rules/{made[1]['id']}", headers=shop.admin)).status_code == 404


async def test_bad_rules_are_422_with_the_path_of_the_error(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        url = f"/api/v1/sites/{shop.site_id}/rules"

        async def refused(body: dict[str, Any]) -> list[tuple[str, str]]:
            return fields(await place.client.post(url, json=body, headers=shop.admin))

        unknown = {**ENG_6, "conditions": {"type": "and", "conditions": [{"type": "idle", "seconds": 5, "minutes": 1}]}}
        assert await refused(unknown) == [("conditions.and.conditions.0.idle.minutes", "extra_forbidden")]
        assert await refused({**ENG_6, "priority": 1}) == [("priority", "extra_forbidden")]
        wrong_type = {**ENG_6, "conditions": {"type": "pages_viewed", "value": "five"}}
        assert await refused(wrong_type) == [("conditions.pages_viewed.value", "int_parsing")]
        bad_regex = {**ENG_6, "conditions": {"type": "current_url", "op": "regex", "value": "(?<=cart)x"}}
        assert await refused(bad_regex) == [("conditions.current_url.value", "regex_invalid")]
        deep: dict[str, Any] = {"type": "idle", "seconds": 5}
        for _ in range(MAX_DEPTH + 1):
            deep = {"type": "not", "condition": deep}
        found = await refused({**ENG_6, "conditions": deep})
        assert found == [("conditions" + ".not.condition" * MAX_DEPTH + ".not", "tree_too_deep")]
        assert await names(place, shop) == []


async def test_an_invalid_edit_is_refused_and_changes_nothing(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        rule = await create(place, shop, ENG_6)
        path = f"/api/v1/rules/{rule['id']}"
        both = {**ENG_6, "actions": [*ENG_6["actions"], {"type": "open_chat"}]}  # a rule invites or opens, not both
        assert fields(await place.client.put(path, json=both, headers=shop.admin)) == [("", "invite_or_open")]
        nulled = await place.client.patch(path, json={"name": None}, headers=shop.admin)
        assert fields(nulled) == [("name", "value_error")]
        conditions = await place.client.patch(path, json={"conditions": {"type": "exit_intent"}}, headers=shop.admin)
        assert fields(conditions) == [("conditions", "extra_forbidden")]  # a new definition is a PUT
        assert (await place.client.get(path, headers=shop.admin)).json() == rule


async def test_another_accounts_site_and_rules_are_not_found(settings: Settings) -> None:
    async with floor(settings) as place:
        shop, rival = await place.account(), await place.account("Rival")
        rule = await create(place, shop, ENG_6)
        site_url, rule_url = f"/api/v1/sites/{shop.site_id}/rules", f"/api/v1/rules/{rule['id']}"
        attempts = [
            ("GET", site_url, None),
            ("POST", site_url, SECOND),
            ("GET", rule_url, None),
            ("PUT", rule_url, SECOND),
            ("PATCH", rule_url, {"enabled": False}),
            ("POST", f"{rule_url}/move", {"position": 0}),
            ("DELETE", rule_url, None),
        ]
        supervisor = await place.staff(rival, "supervisor")
        for method, path, body in attempts:
            for headers in (rival.admin, supervisor):
                answer = await place.client.request(method, path, json=body, headers=headers)
                assert answer.status_code == 404, (method, path, answer.text)
                assert "IT browsers" not in answer.text
            # Past the gateway too: the rules service itself checks the site and the rule's account.
            intruder = Identity(kind="user", account_id=rival.id, user_id=new_id(), role="admin", name="Rival")
            direct = await place.direct(intruder, method, path, json=body)
            assert direct.status_code == 404, (method, path, direct.text)
        assert (await place.client.get(rule_url, headers=shop.admin)).json() == rule
        unknown_site = await place.client.get(f"/api/v1/sites/{new_id()}/rules", headers=shop.admin)
        assert unknown_site.status_code == 404 and unknown_site.json()["error"]["code"] == "site_not_found"


async def test_operators_read_rules_and_supervisors_and_admins_edit_them(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        operator, supervisor = await place.staff(shop, "operator"), await place.staff(shop, "supervisor")
        rule = await create(place, shop, ENG_6, headers=supervisor)
        rule_url = f"/api/v1/rules/{rule['id']}"
        assert (await place.client.get(rule_url, headers=operator)).json() == rule
        assert await names(place, shop) == ["IT browsers"]
        for method, path, body in [
            ("POST", f"/api/v1/sites/{shop.site_id}/rules", SECOND),
            ("PUT", rule_url, SECOND),
            ("PATCH", rule_url, {"enabled": False}),
            ("POST", f"{rule_url}/move", {"position": 0}),
            ("DELETE", rule_url, None),
        ]:
            answer = await place.client.request(method, path, json=body, headers=operator)
            assert answer.status_code == 403, (method, path, answer.text)
        assert (await place.client.get(rule_url, headers=shop.admin)).json() == rule
        paused = await place.client.patch(rule_url, json={"enabled": False}, headers=supervisor)
        assert paused.status_code == 200 and paused.json()["enabled"] is False
        assert (await place.client.delete(rule_url, headers=supervisor)).status_code == 204


async def test_a_deleted_sites_rules_are_deleted_with_it(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        other_site = await place.site(shop.admin)
        doomed = await create(place, shop, ENG_6)
        kept = await place.client.post(f"/api/v1/sites/{other_site}/rules", json=SECOND, headers=shop.admin)
        assert kept.status_code == 201
        assert (await place.client.delete(f"/api/v1/sites/{shop.site_id}", headers=shop.admin)).status_code == 204

        async def forgotten() -> bool:  # the rule itself is gone, not only hidden behind its deleted site
            async with place.rules.state.runtime.db.reading() as conn:
                return await conn.scalar(select(func.count()).where(rules.c.id == doomed["id"])) == 0

        assert await eventually(forgotten), "the deleted site's rule is still stored"
        assert (await place.client.get(f"/api/v1/rules/{doomed['id']}", headers=shop.admin)).status_code == 404
        assert (await place.client.get(f"/api/v1/rules/{kept.json()['id']}", headers=shop.admin)).status_code == 200
