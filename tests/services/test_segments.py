"""Segments through the gateway (SEG-1, SEG-2), on both backends: an account's four defaults made at its first
use, edited, moved and deleted (each edit a new version; a deleted default stays deleted), bad definitions a
422 naming where, operators read and supervisors edit, other accounts' segments 404; and live: a visitor's
page views with their orders put them in a segment that the live list and the visitor's detail show
(`visitor.segment_changed`), a change of their orders moves them, the editor's preview and the rules'
`segment` condition see it."""

import uuid
from typing import Any

import httpx

from services.common.settings import Settings
from services.gateway.openapi import _without_clashes
from tests.chat_client import login, visitor_session
from tests.helpers import eventually
from tests.rules.floor import Account, Floor, floor
from tests.services.test_invitations import bearer
from tests.services.test_invitations import floor as live_floor

DEFAULT_NAMES = ["Most valuable", "Most potential", "Intermediate", "Low potential"]
BIG_SPENDERS = {
    "name": "Big spenders",
    "description": "Over 50,000 ordered.",
    "conditions": {"type": "attribute", "name": "orders_value", "op": "gt", "value": 50_000},
}


async def segments(place: Floor, account: Account, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    answer = await place.client.get("/api/v1/segments", headers=headers or account.admin)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["segments"]
    return found


async def test_an_account_starts_with_the_four_defaults_once(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        first = await segments(place, shop)
        assert [s["name"] for s in first] == DEFAULT_NAMES
        assert [s["position"] for s in first] == [0, 1, 2, 3] and {s["version"] for s in first} == {1}
        assert await segments(place, shop, await place.staff(shop, "operator")) == first  # made once
        other = await place.account("Other")
        assert {s["id"] for s in await segments(place, other)}.isdisjoint({s["id"] for s in first})


async def test_segments_are_created_replaced_moved_and_deleted_with_versions(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        supervisor = await place.staff(shop, "supervisor")
        made = await place.client.post("/api/v1/segments", json=BIG_SPENDERS, headers=supervisor)
        assert made.status_code == 201, made.text
        big = made.json()
        assert (big["position"], big["version"], big["description"]) == (4, 1, "Over 50,000 ordered.")
        read = await place.client.get(f"/api/v1/segments/{big['id']}", headers=shop.admin)
        assert read.status_code == 200 and read.json() == big

        moved = await place.client.post(f"/api/v1/segments/{big['id']}/move", json={"position": 0}, headers=shop.admin)
        assert moved.status_code == 200, moved.text
        assert [s["name"] for s in moved.json()["segments"]] == ["Big spenders", *DEFAULT_NAMES]
        assert moved.json()["segments"][0]["version"] == 2

        renamed = {**BIG_SPENDERS, "name": "Whales", "version": 2}
        replaced = await place.client.put(f"/api/v1/segments/{big['id']}", json=renamed, headers=shop.admin)
        assert replaced.status_code == 200 and replaced.json()["version"] == 3, replaced.text
        stale = await place.client.put(f"/api/v1/segments/{big['id']}", json=renamed, headers=shop.admin)
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"

        low = (await segments(place, shop))[-1]
        assert low["name"] == "Low potential"
        gone = await place.client.delete(f"/api/v1/segments/{low['id']}", headers=shop.admin)
        assert gone.status_code == 204
        after = await segments(place, shop)
        assert [s["name"] for s in after] == ["Whales", *DEFAULT_NAMES[:3]]  # not made again
        assert [s["position"] for s in after] == [0, 1, 2, 3]
        missing = await place.client.get(f"/api/v1/segments/{low['id']}", headers=shop.admin)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "segment_not_found"


def problems(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    body = answer.json()["error"]
    return [(f["field"], f["type"]) for f in body["details"]]


async def test_bad_definitions_are_refused_with_where_and_operators_only_read(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        bad_op = {"name": "Bad", "conditions": {"type": "pages_viewed", "op": "about", "value": 1}}
        found = problems(await place.client.post("/api/v1/segments", json=bad_op, headers=shop.admin))
        assert any(field == "conditions.pages_viewed.op" for field, _ in found), found
        loop = {"name": "Loop", "conditions": {"type": "segment", "value": "Most valuable"}}
        found = problems(await place.client.post("/api/v1/segments", json=loop, headers=shop.admin))
        assert ("conditions", "segment_in_segment") in found, found
        nameless = {"conditions": {"type": "returning"}}
        assert ("name", "missing") in problems(
            await place.client.post("/api/v1/segments", json=nameless, headers=shop.admin)
        )
        operator = await place.staff(shop, "operator")
        refused = await place.client.post("/api/v1/segments", json=BIG_SPENDERS, headers=operator)
        assert refused.status_code == 403
        preview = await place.client.post("/api/v1/segments/preview", json=BIG_SPENDERS, headers=shop.admin)
        assert preview.status_code == 422  # a preview takes the conditions only
        assert [s["name"] for s in await segments(place, shop)] == DEFAULT_NAMES


async def test_another_accounts_segments_are_not_there(settings: Settings) -> None:
    async with floor(settings) as place:
        shop, intruder = await place.account(), await place.account("Intruder")
        theirs = (await segments(place, shop))[0]
        path = f"/api/v1/segments/{theirs['id']}"
        calls = [
            await place.client.get(path, headers=intruder.admin),
            await place.client.put(path, json=BIG_SPENDERS, headers=intruder.admin),
            await place.client.delete(path, headers=intruder.admin),
            await place.client.post(f"{path}/move", json={"position": 3}, headers=intruder.admin),
        ]
        assert [c.status_code for c in calls] == [404, 404, 404, 404]
        assert (await segments(place, shop))[0] == theirs


# --- live -------------------------------------------------------------------------------------------------


async def track(client: httpx.AsyncClient, token: str, *events: dict[str, Any]) -> None:
    body = {"events": list(events)}

    async def accepted() -> bool:  # 503 while tracking has not heard of the demo site yet
        answer = await client.post("/api/v1/track/events", json=body, headers=bearer(token))
        assert answer.status_code in (202, 503), answer.text
        return answer.status_code == 202

    assert await eventually(accepted, 30)


def page(base: str, path: str = "/demo/") -> dict[str, Any]:
    return {"type": "pageview", "page_id": uuid.uuid4().hex, "url": f"{base}{path}", "title": "Demo"}


async def test_the_live_list_shows_each_visitors_segment_as_their_orders_change(settings: Settings) -> None:
    async with live_floor(settings, rules=True, probed=["visitor.segment_changed"]) as place:
        admin = bearer((await login(place.client))["access_token"])
        session = await visitor_session(place.client)
        token, visitor_id = session["visitor_token"], session["visitor_id"]
        orders = {"type": "attributes", "attributes": {"orders_count": 7, "orders_value": 18_450.0}}
        await track(place.client, token, page(place.base), orders)

        async def shown(name: str) -> bool:
            live = await place.client.get("/api/v1/visitors/live", headers=admin)
            assert live.status_code == 200, live.text
            mine = [v for v in live.json()["visitors"] if v["visitor_id"] == visitor_id]
            return bool(mine) and mine[0]["segment_name"] == name

        assert await eventually(lambda: shown("Most valuable")), "the live list never showed the segment"
        listed = (await place.client.get("/api/v1/segments", headers=admin)).json()["segments"]
        by_name = {s["name"]: s["id"] for s in listed}
        detail = (await place.client.get(f"/api/v1/visitors/{visitor_id}", headers=admin)).json()
        assert detail["segment_id"] == by_name["Most valuable"], detail
        changes = [e.payload for e in place.events if e.payload["visitor_id"] == visitor_id]
        assert changes and changes[0]["segment_id"] == by_name["Most valuable"]

        preview = {"conditions": {"type": "attribute", "name": "orders_count", "op": "ge", "value": 5}}
        answer = await place.client.post("/api/v1/segments/preview", json=preview, headers=admin)
        assert answer.status_code == 200, answer.text
        row = next(v for v in answer.json()["visitors"] if v["visitor_id"] == visitor_id)
        assert row["matched"] and row["segment_name"] == "Most valuable"

        site_id = (
            session.get("site_id") or (await place.client.get("/api/v1/sites", headers=admin)).json()["sites"][0]["id"]
        )
        rule = {
            "name": "Our best customers",
            "conditions": {"type": "segment", "op": "in", "value": ["Most valuable"]},
            "actions": [{"type": "show_invitation", "text": "Welcome back!"}],
        }
        rule_preview = await place.client.post(f"/api/v1/sites/{site_id}/rules/preview", json=rule, headers=admin)
        assert rule_preview.status_code == 200, rule_preview.text
        assert any(v["visitor_id"] == visitor_id and v["matched"] for v in rule_preview.json()["visitors"])

        no_orders = {"type": "attributes", "attributes": {"orders_count": 0, "orders_value": 0}}
        await track(place.client, token, no_orders, page(place.base, "/demo/informatica/"))
        assert await eventually(lambda: shown("Low potential")), "the segment never followed the orders"


def test_the_public_document_keeps_a_services_schema_apart_from_anothers_of_the_same_name() -> None:
    """The rules' `Device` condition and tracking's `Device` of a visitor: a segment's conditions must be read
    against the rules' own shapes (else an answer is "valid under more than one" of the condition shapes)."""
    known = {"Device": {"type": "object", "properties": {"browser": {"type": "string"}}}}
    rules_doc = {
        "paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/components/schemas/Device"}}}}},
        "components": {"schemas": {"Device": {"properties": {"type": {"const": "device"}}}, "Other": {}}},
    }
    merged = _without_clashes(known, rules_doc, "rules")
    assert set(merged["components"]["schemas"]) == {"RulesDevice", "Other"}
    assert merged["paths"]["/x"]["get"]["responses"]["200"] == {"$ref": "#/components/schemas/RulesDevice"}
    same = {"components": {"schemas": {"Device": known["Device"]}}}
    assert _without_clashes(known, same, "tracking") is same  # the same shape: one schema
