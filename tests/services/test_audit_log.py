"""The audit log: every change of sites, block lists, secrets, members, roles and invitations is there,
with who, when and the state before and after (never a secret), for the account's admins only."""

from typing import Any

import httpx

from services.common.settings import Settings
from tests.services.gateway_harness import OLGA, bearer, gateway, invite, login, member_id, second_account

SITE = {"name": "Service desk", "allowed_origins": ["https://dealer.example"]}


async def audit(client: httpx.AsyncClient, admin: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = await client.get("/api/v1/audit", params=params, headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def test_changes_are_recorded_with_who_and_before_and_after_but_no_secret(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        site = (await client.post("/api/v1/sites", json=SITE, headers=bearer(admin))).json()
        blocking = {"blocking": {"ips": ["203.0.113.0/24"], "countries": ["ru"]}}
        assert (
            await client.patch(f"/api/v1/sites/{site['id']}", json=blocking, headers=bearer(admin))
        ).status_code == 200
        rotated = (await client.post(f"/api/v1/sites/{site['id']}/secret", headers=bearer(admin))).json()
        assert (await client.delete(f"/api/v1/sites/{site['id']}", headers=bearer(admin))).status_code == 204
        olga_id = await member_id(client, admin, OLGA)
        await client.patch(f"/api/v1/users/{olga_id}", json={"role": "supervisor"}, headers=bearer(admin))
        invited = (await invite(client, admin, "new@demo.example", role="admin")).json()

        page = await audit(client, admin)
        actions = [(e["action"], e["entity_type"], e["entity_id"]) for e in page["entries"]]
        assert actions[:6] == [
            ("invitation.created", "invitation", invited["id"]),
            ("membership.role_changed", "membership", olga_id),
            ("site.deleted", "site", site["id"]),
            ("site.secret_rotated", "site", site["id"]),
            ("site.updated", "site", site["id"]),
            ("site.created", "site", site["id"]),
        ]
        by_action = {e["action"]: e for e in reversed(page["entries"])}  # the newest of each
        assert by_action["site.updated"]["before"] == {
            "blocking": {"robots": False, "ips": [], "countries": [], "user_agents": []}
        }
        assert by_action["site.updated"]["after"] == {
            "blocking": {"robots": False, "ips": ["203.0.113.0/24"], "countries": ["RU"], "user_agents": []}
        }
        assert by_action["membership.role_changed"]["before"] == {"role": "operator"}
        assert by_action["membership.role_changed"]["after"] == {"role": "supervisor"}
        assert by_action["invitation.created"]["after"] == {"email": "new@demo.example", "role": "admin"}
        assert by_action["site.deleted"]["before"]["allowed_origins"] == ["https://dealer.example"]
        entry = by_action["site.created"]
        assert (entry["actor_type"], entry["actor_id"], entry["actor_name"]) == (
            "user",
            admin["user"]["id"],
            "Ana Admin",
        )
        assert entry["occurred_at"]
        assert site["secret"] not in str(page) and rotated["secret"] not in str(page)
        assert by_action["site.secret_rotated"]["after"] == {"secret": "rotated"}
        # The demo seed's changes are the system's.
        assert page["entries"][-1]["actor_type"] == "system"


async def test_the_log_pages_newest_first_and_filters_by_entity(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        site = (await client.post("/api/v1/sites", json=SITE, headers=bearer(admin))).json()
        for name in ("One", "Two", "Three"):
            await client.patch(f"/api/v1/sites/{site['id']}", json={"name": name}, headers=bearer(admin))
        await client.patch(f"/api/v1/sites/{site['id']}", json={"name": "Three"}, headers=bearer(admin))  # no change
        everything = (await audit(client, admin, limit=200))["entries"]
        seen: list[str] = []
        before = None
        while True:
            page = await audit(client, admin, limit=2, **({"before": before} if before else {}))
            seen += [e["id"] for e in page["entries"]]
            before = page["next_before"]
            if before is None:
                break
        assert seen == [e["id"] for e in everything] and seen == sorted(seen, reverse=True)
        of_site = (await audit(client, admin, entity_type="site", entity_id=site["id"]))["entries"]
        assert [e["after"].get("name") for e in of_site] == ["Three", "Two", "One", "Service desk"]
        assert (await client.get("/api/v1/audit", params={"limit": 0}, headers=bearer(admin))).status_code == 422
        assert (
            await client.get("/api/v1/audit", params={"entity_type": "x"}, headers=bearer(admin))
        ).status_code == 422


async def test_only_the_accounts_admins_read_it_and_only_their_accounts(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin, olga = await login(client), await login(client, OLGA)
        boss = await second_account(client)
        await client.post("/api/v1/sites", json=SITE, headers=bearer(admin))
        refused = await client.get("/api/v1/audit", headers=bearer(olga))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
        assert (await client.get("/api/v1/audit")).status_code == 401
        theirs = (await audit(client, boss))["entries"]
        assert {e["action"] for e in theirs} == {"account.created", "invitation.created", "invitation.accepted"}
        assert admin["user"]["account_id"] not in str(theirs)
        ours = (await audit(client, admin, limit=200))["entries"]
        assert not {e["id"] for e in ours} & {e["id"] for e in theirs}


async def test_a_refused_change_leaves_no_entry(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        newest = (await audit(client, admin, limit=1))["entries"][0]["id"]
        last = await client.patch(
            f"/api/v1/users/{admin['user']['id']}", json={"role": "operator"}, headers=bearer(admin)
        )
        assert last.status_code == 409
        assert (await audit(client, admin, limit=1))["entries"][0]["id"] == newest
