"""The isolation matrix (SEC-1), generated from the gateway's OpenAPI document: every operation that takes an
id is called by account B's admin and operator with account A's real ids, and by visitor A1 with visitor A2's.
Each must answer 403 or 404, and A's data must read the same (as A) before and after. Then A's own calls of
the same operations succeed, which proves the ids and bodies were real.

An operation added later is in the matrix by itself. It fails the test when its id parameter has no entry in
`A_IDS`, or when it needs a body that `BODIES` lacks; one that cannot be in the matrix goes in `EXEMPT` with
the reason.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway import accounts as accts
from services.gateway.app import create_app as create_gateway
from services.reporting.app import create_app as create_reporting
from services.rules.app import create_app as create_rules
from services.tracking.app import create_app as create_tracking
from tests.chat_client import SITE_KEY
from tests.helpers import BROWSER_UA, eventually

BASE = "http://127.0.0.1:8000"
METHODS = ("get", "post", "put", "patch", "delete")
PASSWORD = "long-password-1"

# Path and query parameters that name something of account A: which of A's ids to send.
A_IDS = {
    "site_id": "site",
    "conversation_id": "conversation",
    "visitor_id": "visitor",
    "contact_id": "contact",
    "user_id": "user",
    "invitation_id": "invitation",
    "rule_id": "rule",
    "queue_id": "queue",
    "segment_id": "segment",
    "canned_id": "canned",
    "material_id": "material",
    "ticket_id": "ticket",
    "attachment_id": "attachment",  # a file A2 sent in their conversation (CHAT-10)
    "message_id": "message",  # A's admin's message in A2's conversation (CHAT-5: edit, retract, history)
    "entity_id": "site",  # the audit log of one entity
    "domain": "domain",  # one of A's site's domains
}
# The request bodies of the operations that need one (valid ones: A's own call with it succeeds).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/sites/{site_id}"): {"name": "Taken over", "allowed_origins": ["https://attacker.example"]},
    ("PUT", "/api/v1/track/settings/{site_id}"): {"sections": [], "products": [], "searches": [], "retention_days": 1},
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): {"client_msg_id": "intruder-1", "text": "Hi from B"},
    ("PATCH", "/api/v1/users/{user_id}"): {"role": "admin"},
    ("POST", "/api/v1/sites/{site_id}/rules"): {
        "name": "Intruder's rule",
        "conditions": {"type": "time_on_page", "seconds": 1},
        "actions": [{"type": "open_chat"}],
    },
    ("PUT", "/api/v1/rules/{rule_id}"): {
        "name": "Taken over",
        "conditions": {"type": "pages_viewed", "value": 1},
        "actions": [{"type": "show_invitation", "text": "Visit attacker.example"}],
    },
    ("PATCH", "/api/v1/rules/{rule_id}"): {"enabled": False},
    ("POST", "/api/v1/rules/{rule_id}/move"): {"position": 0},
    ("POST", "/api/v1/sites/{site_id}/rules/preview"): {
        "name": "Intruder's preview",
        "conditions": {"type": "pages_viewed", "value": 1},
        "actions": [{"type": "open_chat"}],
    },
    ("POST", "/api/v1/sites/{site_id}/origins"): {"origin": "https://attacker.example"},
    ("DELETE", "/api/v1/sites/{site_id}/origins"): {"origin": "https://attacker.example"},  # A's control added it
    ("POST", "/api/v1/sites/{site_id}/domains"): {"domain": "attacker.example"},
    ("PUT", "/api/v1/queues/{queue_id}"): {"name": "Taken over", "welcome_message": "Visit attacker.example"},
    ("PUT", "/api/v1/operators/{user_id}/presence"): {"status": "phone"},
    ("PUT", "/api/v1/operators/{user_id}/capacity"): {"max_chats": 1},
    ("PUT", "/api/v1/operators/{user_id}/languages"): {"languages": ["xx"]},
    # "{kind}": that id of A's (`filled`)
    ("POST", "/api/v1/conversations/{conversation_id}/transfer"): {"to_queue_id": "{queue}", "note": "Taken over"},
    ("POST", "/api/v1/conversations/{conversation_id}/participants"): {"operator_id": "{user}"},
    ("PUT", "/api/v1/segments/{segment_id}"): {
        "name": "Taken over",
        "conditions": {"type": "pages_viewed", "value": 0},
    },
    ("POST", "/api/v1/segments/{segment_id}/move"): {"position": 0},
    ("PUT", "/api/v1/canned-responses/{canned_id}"): {"shortcut": "taken", "title": "Taken over", "text": "Visit b"},
    ("PUT", "/api/v1/materials/{material_id}"): {"kind": "link", "title": "Taken over", "url": "https://b.example"},
    ("POST", "/api/v1/tickets/{ticket_id}/replies"): {"text": "Taken over"},
    ("POST", "/api/v1/conversations/{conversation_id}/ticket"): {"email": "intruder@b.example"},
    ("POST", "/api/v1/conversations/{conversation_id}/transcript"): {"email": "intruder@b.example"},
    ("POST", "/api/v1/conversations/{conversation_id}/notes"): {"text": "Taken over"},
    ("PUT", "/api/v1/prechat-forms"): {"name": "required", "email": "required"},
    ("PATCH", "/api/v1/conversations/{conversation_id}/messages/{message_id}"): {"text": "Taken over"},
    ("POST", "/api/v1/conversations/{conversation_id}/rating"): {"score": 1, "comment": "Taken over"},
    ("PUT", "/api/v1/users/{user_id}/photo"): {"image_base64": "iVBORw0KGgoAAAAA"},  # EMB-3: a PNG's first bytes
}
# The operations whose body is a file, not JSON: (content, query) of a valid one.
RAW_BODIES: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {
    ("POST", "/api/v1/conversations/{conversation_id}/attachments"): (
        b"\x89PNG\r\n\x1a\n" + bytes(32),
        {"name": "intruder.png"},
    ),
}
# Operations left out of the matrix, with the reason.
EXEMPT: dict[tuple[str, str], str] = {}
# A's own (control) calls are made by A's admin, except where the operation is someone else's to make.
CONTROL_CALLER = {
    ("POST", "/api/v1/account-invitations/{invitation_id}/accept"): "invitee",
    ("POST", "/api/v1/account-invitations/{invitation_id}/decline"): "invitee",
    ("POST", "/api/v1/conversations/{conversation_id}/ticket"): "visitor_a2",  # the conversation's visitor's
    ("POST", "/api/v1/conversations/{conversation_id}/rating"): "visitor_a2",  # EMB-10: its visitor rates (409: open)
    ("GET", "/api/v1/widget/conversations/{conversation_id}/operator"): "visitor_a2",  # EMB-3: the header's face
}
INTRUDERS = ("b_admin", "b_operator", "visitor_a1")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_ids: tuple[str, ...]
    query_ids: tuple[str, ...]
    unknown: tuple[str, ...]  # path parameters that name nothing in A_IDS
    needs_body: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(doc: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            params = [*item.get("parameters", []), *item[method].get("parameters", [])]
            in_path = [p["name"] for p in params if p["in"] == "path"]
            in_query = [p["name"] for p in params if p["in"] == "query" and p["name"] in A_IDS]
            body = item[method].get("requestBody") or {}
            found.append(
                Operation(
                    method.upper(),
                    path,
                    tuple(n for n in in_path if n in A_IDS),
                    tuple(in_query),
                    tuple(n for n in in_path if n not in A_IDS),
                    bool(body.get("required")),
                )
            )
    return found


@dataclass
class World:
    """Account A (the demo account: its site, visitors A1 and A2, A2's conversation and contact, a pending
    invitation) and account B (an admin and an operator), each caller's headers."""

    ids: dict[str, str] = field(default_factory=dict)  # A's ids, by kind
    visitor_ids: dict[str, str] = field(default_factory=dict)  # what visitor A1 tries: A2's
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    private: set[str] = field(default_factory=set)  # strings of A's data nobody else may read

    def ids_for(self, caller: str) -> dict[str, str]:
        return self.visitor_ids if caller.startswith("visitor") else self.ids


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    answer = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def visitor(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    session = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY})
    assert session.status_code == 200, session.text
    return session.json()["visitor_id"], bearer(session.json()["visitor_token"])


async def build_world(client: httpx.AsyncClient) -> World:
    world = World()
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as session:
        b_account = await accts.create_account(session, "Account B")
        await accts.add_user(session, b_account, "boss@b.example", PASSWORD, "B Boss", "admin")
        third = await accts.create_account(session, "Account C")
        await accts.add_user(session, third, "carol@c.example", PASSWORD, "Carol", "admin")
    a_admin = await log_in(client, "admin@demo.example", "floorwalker")
    olga = await log_in(client, "olga@demo.example", "floorwalker")
    b_admin = await log_in(client, "boss@b.example", PASSWORD)
    world.headers |= {"a_admin": bearer(a_admin["access_token"]), "b_admin": bearer(b_admin["access_token"])}
    invited = await client.post(
        "/api/v1/users",
        json={"email": "desk@b.example", "password": PASSWORD, "name": "B Desk", "role": "operator"},
        headers=world.headers["b_admin"],
    )
    assert invited.status_code == 201, invited.text
    world.headers["b_operator"] = bearer((await log_in(client, "desk@b.example", PASSWORD))["access_token"])
    world.headers["invitee"] = bearer((await log_in(client, "carol@c.example", PASSWORD))["access_token"])
    b_site = await client.post(
        "/api/v1/sites",
        json={"name": "B shop", "allowed_origins": ["https://b.example"]},
        headers=world.headers["b_admin"],
    )
    assert b_site.status_code == 201, b_site.text

    a = world.headers["a_admin"]
    site_id = (await client.get("/api/v1/sites", headers=a)).json()["sites"][0]["id"]
    domain = await client.post(f"/api/v1/sites/{site_id}/domains", json={"domain": "a-shop.example"}, headers=a)
    assert domain.status_code == 201, domain.text
    invitation = await client.post(
        "/api/v1/users",
        json={"email": "carol@c.example", "password": PASSWORD, "name": "Carol", "role": "supervisor"},
        headers=a,
    )
    assert invitation.status_code == 201, invitation.text
    a1, world.headers["visitor_a1"] = await visitor(client)
    a2, a2_headers = await visitor(client)
    world.headers["visitor_a2"] = a2_headers
    for who, headers in ((a1, world.headers["visitor_a1"]), (a2, a2_headers)):
        page = {"events": [{"type": "pageview", "page_id": f"page-{who}", "url": f"{BASE}/demo/secret-{who}"}]}
        assert (await client.post("/api/v1/track/events", json=page, headers=headers)).status_code == 202
    started = await client.post("/api/v1/conversations", json={"text": "My card number is 4111"}, headers=a2_headers)
    assert started.status_code == 201, started.text
    conversation_id = started.json()["id"]
    answered = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"client_msg_id": "a-admin-1", "text": "A's admin secret reply"},
        headers=world.headers["a_admin"],
    )
    assert answered.status_code == 201, answered.text
    noted = await client.post(  # an internal note (OPS-5): neither B nor a visitor may read it
        f"/api/v1/conversations/{conversation_id}/notes",
        json={"text": "A's note secret"},
        headers=world.headers["a_admin"],
    )
    assert noted.status_code == 201, noted.text
    photo = await client.post(
        f"/api/v1/conversations/{conversation_id}/attachments",
        params={"name": "a2-secret-photo.png"},
        content=b"\x89PNG\r\n\x1a\n" + bytes(32),
        headers={**a2_headers, "content-type": "application/octet-stream"},
    )
    assert photo.status_code == 201, photo.text
    identify = {"user_id": "crm-a2", "email": "a2@customer.example", "name": "Alice Two"}
    assert (await client.post("/api/v1/widget/identify", json=identify, headers=a2_headers)).status_code == 200

    async def stored() -> bool:
        answers = [await client.get(f"/api/v1/visitors/{v}", headers=a) for v in (a1, a2)]
        return all(answer.status_code == 200 for answer in answers)

    assert await eventually(stored, 30), "tracking never stored A's visitors"
    contact = (await client.get(f"/api/v1/visitors/{a2}", headers=a)).json()["contact"]
    assert contact, "the identified visitor has no contact"
    secret_rule = {
        "name": "A's secret rule",
        "conditions": {"type": "current_url", "op": "contains", "value": "secret-pricing"},
        "actions": [{"type": "show_invitation", "text": "A's private offer"}],
    }
    rule: dict[str, Any] = {}

    async def rule_made() -> bool:  # once the rules service has heard of A's site
        nonlocal rule
        made = await client.post(f"/api/v1/sites/{site_id}/rules", json=secret_rule, headers=a)
        rule = made.json() if made.status_code == 201 else {}
        return bool(rule)

    assert await eventually(rule_made, 30), "the rules service never heard of A's site"
    olga_headers = bearer(olga["access_token"])
    assert (await client.get("/api/v1/me/presence", headers=olga_headers)).status_code == 200  # chat knows her
    world.headers["a_operator"] = olga_headers
    queue = {"name": "A's secret queue", "members": [{"user_id": olga["user"]["id"], "priority": 1}]}
    made_queue = await client.post("/api/v1/queues", json=queue, headers=a)
    secret_segment = {"name": "A's secret segment", "conditions": {"type": "current_url", "value": "secret-vip"}}
    made_segment = await client.post("/api/v1/segments", json=secret_segment, headers=a)
    assert made_segment.status_code == 201, made_segment.text
    assert made_queue.status_code == 201, made_queue.text
    secret_canned = {"shortcut": "secret", "title": "A's secret reply", "text": "A's canned secret"}
    made_canned = await client.post("/api/v1/canned-responses", json=secret_canned, headers=a)
    assert made_canned.status_code == 201, made_canned.text
    secret_material = {"kind": "script", "title": "A's secret script", "text": "A's material secret"}
    made_material = await client.post("/api/v1/materials", json=secret_material, headers=a)
    assert made_material.status_code == 201, made_material.text
    secret_ticket = {"email": "a2@customer.example", "message": "A's ticket secret"}
    made_ticket = await client.post("/api/v1/tickets", json=secret_ticket, headers=a2_headers)
    assert made_ticket.status_code == 201, made_ticket.text
    world.ids = {
        "site": site_id,
        "conversation": conversation_id,
        "visitor": a1,
        "contact": contact["contact_id"],
        "user": olga["user"]["id"],
        "invitation": invitation.json()["id"],
        "rule": rule["id"],
        "queue": made_queue.json()["id"],
        "segment": made_segment.json()["id"],
        "canned": made_canned.json()["id"],
        "material": made_material.json()["id"],
        "ticket": made_ticket.json()["id"],
        "attachment": photo.json()["attachment"]["id"],
        "message": answered.json()["id"],
        "domain": "a-shop.example",
    }
    world.visitor_ids = {**world.ids, "visitor": a2}
    world.private = {
        *world.ids.values(),
        a2,
        "4111",
        "a2@customer.example",
        "Alice Two",
        f"secret-{a1}",
        f"secret-{a2}",
        "olga@demo.example",
        "carol@c.example",
        "secret-pricing",
        "A's private offer",
        "A's secret queue",
        "A's secret segment",
        "secret-vip",
        "A's canned secret",
        "A's material secret",
        "A's ticket secret",
        "a2-secret-photo.png",
        "A's admin secret reply",
        "A's note secret",
    }
    return world


def url_of(op: Operation, ids: dict[str, str]) -> tuple[str, dict[str, str]]:
    path = op.path
    for name in op.path_ids:
        path = path.replace("{" + name + "}", ids[A_IDS[name]])
    return path, {name: ids[A_IDS[name]] for name in op.query_ids}


def filled(body: dict[str, Any] | None, ids: dict[str, str]) -> dict[str, Any] | None:
    """A body whose "{kind}" values are A's ids of that kind."""
    if body is None:
        return None
    return {k: ids[v[1:-1]] if isinstance(v, str) and v[1:-1] in ids and v[0] == "{" else v for k, v in body.items()}


async def call(
    client: httpx.AsyncClient, op: Operation, ids: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    path, query = url_of(op, ids)
    if op.key in RAW_BODIES:
        content, extra = RAW_BODIES[op.key]
        raw = {**headers, "content-type": "application/octet-stream"}  # as the clients send a file
        return await client.request(op.method, path, params={**query, **extra}, content=content, headers=raw)
    body = filled(BODIES.get(op.key), ids)
    return await client.request(op.method, path, params=query, json=body, headers=headers)


def leaks(response: httpx.Response, private: set[str], sent: set[str]) -> list[str]:
    """A's strings in an answer, besides the ids the caller sent (which an answer may echo)."""
    text = response.text
    return sorted(s for s in private - sent if s in text)


async def snapshot(client: httpx.AsyncClient, world: World, ops: list[Operation]) -> dict[str, Any]:
    """Everything A can read, as A's admin and as visitor A2: every GET of the API with A's ids."""
    seen: dict[str, Any] = {}
    for reader, ids in (("a_admin", world.ids), ("visitor_a2", world.visitor_ids)):
        for op in ops:
            if op.method != "GET" or op.unknown:
                continue
            answer = await call(client, op, ids, world.headers[reader])
            body = (
                answer.json() if answer.headers.get("content-type", "").startswith("application/json") else answer.text
            )
            seen[f"{reader} {op}"] = (answer.status_code, body)
    return seen


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{key}:\n  before {json.dumps(before[key], default=str)[:400]}\n  after  {json.dumps(after.get(key), default=str)[:400]}"
        for key in before
        if before[key] != after.get(key)
    ]


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings.model_copy(update={"public_url": BASE})
    bus = MemoryBus() if settings.redis_url is None else None
    services = {
        "chat": create_chat(settings, bus),
        "tracking": create_tracking(settings, bus),
        "rules": create_rules(settings, bus),
        "reporting": create_reporting(settings, bus),
    }
    app = create_gateway(settings, bus, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        headers = {"origin": BASE, "user-agent": BROWSER_UA}
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers, timeout=30) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def control_order(op: Operation) -> tuple[bool, bool, bool, bool, bool]:
    """A's own calls: what ends a thing (closing, declining) after the rest, deletions last, the site's last of all
    (after its origins' and domains'), a member's removal after the deletions of what is theirs (their photo)."""
    ends = op.method == "POST" and op.path.endswith(("/close", "/decline", "/ticket"))
    site_deleted, member_removed = op.key == ("DELETE", "/api/v1/sites/{site_id}"), op.path == "/api/v1/users/{user_id}"
    return op.method == "DELETE", "site_id" in op.path_ids, ends, site_deleted, member_removed and op.method == "DELETE"


def uncovered(ops: list[Operation]) -> list[str]:
    """Why some operations cannot be in the matrix (the test fails on each)."""
    problems = []
    for op in ops:
        if op.key in EXEMPT:
            continue
        for name in op.unknown:
            problems.append(
                f"{op}: the path parameter {name!r} names nothing of account A: add it to A_IDS "
                "(tests/services/test_isolation_matrix.py), or the operation to EXEMPT with the reason"
            )
        if op.needs_body and op.key not in BODIES and op.key not in RAW_BODIES and (op.path_ids or op.query_ids):
            problems.append(f"{op}: needs a request body: add a valid one to BODIES")
    return problems


async def test_no_account_reaches_another_accounts_data_nor_a_visitor_another_visitors(settings: Settings) -> None:
    async with gateway(settings) as client:
        world = await build_world(client)
        ops = operations((await client.get("/api/openapi.json")).json())
        problems = uncovered(ops)
        assert not problems, "\n".join(problems)
        matrix = [op for op in ops if (op.path_ids or op.query_ids) and op.key not in EXEMPT]
        assert len([op for op in matrix if op.path_ids]) >= 20, [str(op) for op in matrix]

        # Read models (reports, the live list) follow events: wait until A's data has settled.
        before = await snapshot(client, world, ops)
        for _ in range(50):
            await asyncio.sleep(0.1)
            again = await snapshot(client, world, ops)
            if again == before:
                break
            before = again
        failures = []
        for op in matrix:
            for intruder in INTRUDERS:
                ids = world.ids_for(intruder)
                answer = await call(client, op, ids, world.headers[intruder])
                sent = set(url_of(op, ids)[1].values()) | set(ids[A_IDS[n]] for n in op.path_ids)
                refused = answer.status_code in (403, 404)
                if op.path_ids and not refused:
                    failures.append(f"{intruder} {op}: {answer.status_code} {answer.text[:300]}")
                elif not refused and (answer.status_code >= 300 or leaks(answer, world.private, sent)):
                    failures.append(f"{intruder} {op}: {answer.status_code} {leaks(answer, world.private, sent)}")
        await asyncio.sleep(0.3 if settings.redis_url else 0)  # anything an attempt set off has been handled
        after = await snapshot(client, world, ops)
        assert not failures, "another account or visitor got through:\n" + "\n".join(failures)
        # Colleagues to transfer to (no id: not in the matrix): B sees none of A's, a visitor none at all, and A's
        # operator sees A's operators without their emails.
        for intruder in INTRUDERS:
            answer = await client.get("/api/v1/presence/colleagues", headers=world.headers[intruder])
            refused = answer.status_code in (401, 403)
            assert refused if intruder.startswith("visitor") else answer.status_code == 200, answer.text
            assert not leaks(answer, world.private, set()), f"{intruder}: {leaks(answer, world.private, set())}"
        mine = await client.get("/api/v1/presence/colleagues", headers=world.headers["a_operator"])
        assert mine.status_code == 200, mine.text
        assert world.ids["user"] in {c["user_id"] for c in mine.json()["operators"]}
        assert "@" not in mine.text, mine.text
        assert before == after, "A's data changed:\n" + "\n".join(changed(before, after))

        # The same operations as A work: the ids and bodies were real.
        controls = sorted([op for op in matrix if op.path_ids], key=control_order)
        refused_to_a = []
        for op in controls:
            answer = await call(client, op, world.ids, world.headers[CONTROL_CALLER.get(op.key, "a_admin")])
            if answer.status_code >= 400 and answer.status_code != 409:  # 409: found, but no longer in that state
                refused_to_a.append(f"{op}: {answer.status_code} {answer.text[:300]}")
        assert not refused_to_a, "A's own calls failed, so the matrix proved nothing for:\n" + "\n".join(refused_to_a)
