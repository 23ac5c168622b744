"""Canned responses (OPS-3) and support materials (OPS-4) through the gateway, on SQLite + memory bus and on
PostgreSQL + Redis: scopes, search, per-queue lists, roles, duplicates and bad input."""

from typing import Any

import httpx

from tests.services.gateway_harness import bearer, login, second_account
from tests.services.test_queues import queue, stack

CANNED = "/api/v1/canned-responses"
MATERIALS = "/api/v1/materials"


def canned(shortcut: str, text: str = "Hello {visitor.name}!", **fields: Any) -> dict[str, Any]:
    return {"shortcut": shortcut, "title": f"The {shortcut}", "text": text, **fields}


async def make_queue(client: httpx.AsyncClient, admin: dict[str, Any], name: str) -> str:
    made = await client.post("/api/v1/queues", json=queue(name), headers=bearer(admin))
    assert made.status_code == 201, made.text
    queue_id: str = made.json()["id"]
    return queue_id


async def shortcuts(client: httpx.AsyncClient, tokens: dict[str, Any], **params: Any) -> list[str]:
    answer = await client.get(CANNED, params=params, headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    return [c["shortcut"] for c in answer.json()["canned_responses"]]


async def test_operators_get_the_accounts_responses_and_their_queues_and_search_them(settings: Any) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        olga = await login(client, "olga@demo.example")
        sales = await make_queue(client, admin, "Sales")
        support = await make_queue(client, admin, "Support")
        for body in (
            canned("greeting", "Hello {visitor.name}, I am {operator.name}."),
            canned("bye", "Goodbye and THANKS"),
            canned("Price", "Our prices are on the site", queue_id=sales),
            canned("refund", "Refunds take 5 days", queue_id=support),
        ):
            made = await client.post(CANNED, json=body, headers=bearer(admin))
            assert made.status_code == 201, made.text
        assert made.json()["queue_id"] == support and made.json()["created_at"] == made.json()["updated_at"]

        assert await shortcuts(client, olga) == ["bye", "greeting"]  # the account's own only
        assert await shortcuts(client, olga, q="") == ["bye", "greeting"]  # an empty search finds all
        assert await shortcuts(client, olga, queue_id=sales) == [
            "price",
            "bye",
            "greeting",
        ]  # lower case, queue's first
        assert await shortcuts(client, olga, queue_id=sales, q="gre") == ["greeting"]
        assert await shortcuts(client, olga, queue_id=sales, q="thanks") == ["bye"]  # text, any case
        assert await shortcuts(client, olga, queue_id=sales, q="THE PRICE") == ["price"]  # title
        assert await shortcuts(client, olga, queue_id=sales, q="refund") == []  # another queue's
        assert sorted(await shortcuts(client, admin, all="true")) == ["bye", "greeting", "price", "refund"]
        listed = (await client.get(CANNED, headers=bearer(olga))).json()["canned_responses"]
        assert listed[1]["text"] == "Hello {visitor.name}, I am {operator.name}."  # placeholders kept for the console

        unknown = await client.get(CANNED, params={"queue_id": "0" * 26}, headers=bearer(olga))
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "queue_not_found"


async def test_a_shortcut_is_unique_within_its_scope_only(settings: Any) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        sales = await make_queue(client, admin, "Sales")
        first = await client.post(CANNED, json=canned("hi"), headers=bearer(admin))
        assert first.status_code == 201
        again = await client.post(CANNED, json=canned("HI"), headers=bearer(admin))
        assert again.status_code == 409 and again.json()["error"]["code"] == "shortcut_taken"
        in_queue = await client.post(CANNED, json=canned("hi", queue_id=sales), headers=bearer(admin))
        assert in_queue.status_code == 201, in_queue.text
        twice = await client.post(CANNED, json=canned("hi", queue_id=sales), headers=bearer(admin))
        assert twice.status_code == 409

        other = await client.post(CANNED, json=canned("other"), headers=bearer(admin))
        moved = await client.put(f"{CANNED}/{other.json()['id']}", json=canned("hi"), headers=bearer(admin))
        assert moved.status_code == 409
        assert sorted(await shortcuts(client, admin, all="true")) == ["hi", "hi", "other"]  # nothing changed

        # Another company has its own "hi".
        boss = await second_account(client)
        assert (await client.post(CANNED, json=canned("hi"), headers=bearer(boss))).status_code == 201
        assert await shortcuts(client, boss) == ["hi"]


async def test_supervisors_and_admins_edit_operators_only_read(settings: Any) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        olga = await login(client, "olga@demo.example")
        refused = await client.post(CANNED, json=canned("mine"), headers=bearer(olga))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
        made = await client.post(CANNED, json=canned("greeting"), headers=bearer(admin))
        url = f"{CANNED}/{made.json()['id']}"
        assert (await client.put(url, json=canned("x"), headers=bearer(olga))).status_code == 403
        assert (await client.delete(url, headers=bearer(olga))).status_code == 403

        replaced = await client.put(url, json=canned("hello", "Hi there"), headers=bearer(admin))
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["shortcut"] == "hello" and replaced.json()["text"] == "Hi there"
        assert replaced.json()["updated_at"] >= replaced.json()["created_at"]
        assert (await client.delete(url, headers=bearer(admin))).status_code == 204
        assert (await client.delete(url, headers=bearer(admin))).status_code == 404
        assert (await client.put(url, json=canned("x"), headers=bearer(admin))).status_code == 404
        assert await shortcuts(client, olga) == []


async def test_bad_input_is_422_with_the_field_and_changes_nothing(settings: Any) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        boss = await second_account(client)
        foreign_queue = await make_queue(client, boss, "Theirs")
        for body, field in (
            (canned("with space"), "shortcut"),
            (canned("x" * 33), "shortcut"),
            (canned(""), "shortcut"),
            (canned("ok", "é" * 2049), "text"),  # 4098 bytes
            (canned("ok", ""), "text"),
            ({**canned("ok"), "extra": 1}, "extra"),
            (canned("ok", queue_id=foreign_queue), "queue_id"),
        ):
            answer = await client.post(CANNED, json=body, headers=bearer(admin))
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["error"]["details"][0]["field"] == field, answer.text
        assert await shortcuts(client, admin, all="true") == []
        assert (await client.put(f"{CANNED}/not-an-id", json=canned("ok"), headers=bearer(admin))).status_code == 404


def material(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "title": f"A {kind}", **fields}


async def test_materials_per_queue_and_campaign_and_their_shapes(settings: Any) -> None:
    async with stack(settings) as client:
        admin = await login(client)
        olga = await login(client, "olga@demo.example")
        sales = await make_queue(client, admin, "Sales")
        support = await make_queue(client, admin, "Support")
        bodies = [
            material("link", title="Price list", url="https://shop.example/prices"),
            material("script", title="Returns script", text="1. Ask for the order number", queue_id=support),
            material("document", title="Catalogue", url="https://shop.example/catalogue.pdf", queue_id=sales),
            material("document", title="Winter sale", text="All coats -20%", campaign="winter"),
        ]
        for body in bodies:
            made = await client.post(MATERIALS, json=body, headers=bearer(admin))
            assert made.status_code == 201, made.text

        async def titles(**params: Any) -> list[str]:
            answer = await client.get(MATERIALS, params=params, headers=bearer(olga))
            assert answer.status_code == 200, answer.text
            return [m["title"] for m in answer.json()["materials"]]

        assert await titles(queue_id=sales) == ["Catalogue", "Price list", "Winter sale"]
        assert await titles(queue_id=support, campaign="summer") == ["Price list", "Returns script"]
        assert await titles(queue_id=support, campaign="winter") == ["Price list", "Returns script", "Winter sale"]
        assert len(await titles(all="true")) == 4

        refused = await client.post(MATERIALS, json=material("link", url="https://x.example"), headers=bearer(olga))
        assert refused.status_code == 403
        for body, field in (
            (material("link", url="javascript:alert(1)"), "url"),
            (material("link", url="data:text/html,hi"), "url"),
            (material("link"), "url"),
            (material("link", url="https://x.example", text="both"), "text"),
            (material("script"), "text"),
            (material("script", text="hi", url="https://x.example"), "url"),
            (material("document"), "url"),
            (material("video", url="https://x.example"), "kind"),
            (material("link", url="https://x.example", queue_id="0" * 26), "queue_id"),
        ):
            answer = await client.post(MATERIALS, json=body, headers=bearer(admin))
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["error"]["details"][0]["field"] == field, answer.text
        assert len(await titles(all="true")) == 4

        first = (await client.get(MATERIALS, headers=bearer(olga))).json()["materials"][0]
        url = f"{MATERIALS}/{first['id']}"
        edited = await client.put(
            url, json=material("link", title="Prices", url="http://shop.example/p"), headers=bearer(admin)
        )
        assert edited.status_code == 200 and edited.json()["url"] == "http://shop.example/p"
        assert (await client.delete(url, headers=bearer(olga))).status_code == 403
        assert (await client.delete(url, headers=bearer(admin))).status_code == 204
        assert await titles() == ["Winter sale"]
