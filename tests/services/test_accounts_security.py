"""People across accounts: an invitation instead of a silent attachment, the same answer whoever the
e-mail belongs to, roles changed by the account's admins only, and always one admin left."""

import time
import uuid

import httpx

from services.common.settings import Settings
from services.gateway.demo.seed import DEMO_ADMIN
from tests.services.gateway_harness import (
    IVAN,
    OLGA,
    bearer,
    gateway,
    invite,
    login,
    login_answer,
    member_id,
    second_account,
)


def shape(answer: httpx.Response) -> tuple[int, list[str], str, str]:
    body = answer.json()
    return answer.status_code, sorted(body), body["state"], body["role"]


async def timed_invite(client: httpx.AsyncClient, admin: dict[str, str], email: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = await invite(client, admin, email)
    return answer, time.perf_counter() - started


async def test_inviting_someone_of_another_account_answers_as_for_a_new_email_and_attaches_nobody(
    settings: Settings,
) -> None:
    async with gateway(settings) as client:
        boss = await second_account(client)
        known = [await timed_invite(client, boss, email) for email in (OLGA, IVAN, DEMO_ADMIN)]
        unknown = [await timed_invite(client, boss, f"new-{uuid.uuid4().hex[:8]}@dealer.example") for _ in range(3)]
        for answer, _ in known + unknown:
            assert shape(answer) == (
                201,
                ["created_at", "email", "expires_at", "id", "role", "state"],
                "pending",
                "operator",
            )
            assert "Olga" not in answer.text and "Ivan" not in answer.text and "Ana" not in answer.text
        # Both hash the password given: neither answer is much quicker than the other.
        fastest_known, fastest_unknown = min(t for _, t in known), min(t for _, t in unknown)
        assert 0.33 < fastest_known / fastest_unknown < 3, (fastest_known, fastest_unknown)

        listed = (await client.get("/api/v1/users", headers=bearer(boss))).json()
        assert [u["email"] for u in listed["users"]] == ["boss@dealer.example"]
        assert len(listed["invitations"]) == 6 and {i["state"] for i in listed["invitations"]} == {"pending"}
        assert "Olga" not in str(listed)

        olga = await login(client, OLGA)  # her own password; the one the inviting admin gave changed nothing
        assert [a["name"] for a in olga["accounts"]] == ["Demo Shop"]
        assert (await login_answer(client, OLGA, "a-password")).status_code == 401


async def test_the_invited_person_accepts_or_declines_after_logging_in(settings: Settings) -> None:
    async with gateway(settings) as client:
        boss = await second_account(client)
        for email in (OLGA, IVAN):
            assert (await invite(client, boss, email, role="supervisor")).status_code == 201
        olga, ivan = await login(client, OLGA), await login(client, IVAN)
        [offer] = (await client.get("/api/v1/account-invitations", headers=bearer(olga))).json()["invitations"]
        assert offer["account_name"] == "Car dealer" and offer["role"] == "supervisor" and offer["invited_by"] == "Boss"
        [ivans] = (await client.get("/api/v1/account-invitations", headers=bearer(ivan))).json()["invitations"]

        # Someone else's invitation is not there for you.
        stolen = await client.post(f"/api/v1/account-invitations/{offer['id']}/accept", headers=bearer(ivan))
        assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "invitation_not_found"

        joined = await client.post(f"/api/v1/account-invitations/{offer['id']}/accept", headers=bearer(olga))
        assert joined.status_code == 200 and joined.json() == {
            "id": boss["user"]["account_id"],
            "name": "Car dealer",
            "role": "supervisor",
        }
        again = await client.post(f"/api/v1/account-invitations/{offer['id']}/accept", headers=bearer(olga))
        assert again.status_code == 409 and again.json()["error"]["code"] == "invitation_not_pending"
        switched = await client.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": olga["refresh_token"], "account_id": boss["user"]["account_id"]},
        )
        assert switched.status_code == 200 and switched.json()["user"]["role"] == "supervisor"

        declined = await client.post(f"/api/v1/account-invitations/{ivans['id']}/decline", headers=bearer(ivan))
        assert declined.status_code == 204
        assert (await client.get("/api/v1/account-invitations", headers=bearer(ivan))).json()["invitations"] == []
        listed = (await client.get("/api/v1/users", headers=bearer(boss))).json()
        assert sorted(u["email"] for u in listed["users"]) == ["boss@dealer.example", OLGA]
        assert listed["invitations"] == []
        assert (await login(client, IVAN))["accounts"] == [
            {"id": ivan["user"]["account_id"], "name": "Demo Shop", "role": "operator"}
        ]


async def test_a_new_email_joins_by_logging_in_and_a_withdrawn_invitation_takes_its_user_away(
    settings: Settings,
) -> None:
    async with gateway(settings) as client:
        boss = await second_account(client)
        assert (await invite(client, boss, "desk@dealer.example", password="desk-password")).status_code == 201
        desk = await login(client, "desk@dealer.example", "desk-password")
        assert desk["user"]["account_id"] == boss["user"]["account_id"] and desk["user"]["role"] == "operator"
        twice = await invite(client, boss, "desk@dealer.example")
        assert twice.status_code == 409 and twice.json()["error"]["code"] == "user_exists"

        pending = (await invite(client, boss, "later@dealer.example", password="later-password")).json()
        repeated = await invite(client, boss, "later@dealer.example")
        assert repeated.status_code == 409 and repeated.json()["error"]["code"] == "already_invited"
        operator_try = await client.delete(f"/api/v1/account-invitations/{pending['id']}", headers=bearer(desk))
        assert operator_try.status_code == 403
        demo_admin = await login(client)
        foreign = await client.delete(f"/api/v1/account-invitations/{pending['id']}", headers=bearer(demo_admin))
        assert foreign.status_code == 404
        withdrawn = await client.delete(f"/api/v1/account-invitations/{pending['id']}", headers=bearer(boss))
        assert withdrawn.status_code == 204
        assert (await login_answer(client, "later@dealer.example", "later-password")).status_code == 401


async def test_only_admins_change_roles_and_the_last_admin_stays(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin, olga = await login(client), await login(client, OLGA)
        olga_id, admin_id = await member_id(client, admin, OLGA), admin["user"]["id"]
        refused = await client.patch(f"/api/v1/users/{admin_id}", json={"role": "operator"}, headers=bearer(olga))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"

        for change in (
            client.patch(f"/api/v1/users/{admin_id}", json={"role": "supervisor"}, headers=bearer(admin)),
            client.delete(f"/api/v1/users/{admin_id}", headers=bearer(admin)),
        ):
            last = await change
            assert last.status_code == 409 and last.json()["error"]["code"] == "last_admin"

        promoted = await client.patch(f"/api/v1/users/{olga_id}", json={"role": "admin"}, headers=bearer(admin))
        assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
        stepped_down = await client.patch(f"/api/v1/users/{admin_id}", json={"role": "operator"}, headers=bearer(admin))
        assert stepped_down.status_code == 200 and stepped_down.json()["role"] == "operator"
        olga = await login(client, OLGA)
        last = await client.delete(f"/api/v1/users/{olga_id}", headers=bearer(olga))
        assert last.status_code == 409
        bad_role = await client.patch(f"/api/v1/users/{admin_id}", json={"role": "owner"}, headers=bearer(olga))
        assert bad_role.status_code == 422


async def test_a_removed_member_is_out_and_their_session_in_the_account_ends(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin, ivan = await login(client), await login(client, IVAN)
        ivan_id = await member_id(client, admin, IVAN)
        removed = await client.delete(f"/api/v1/users/{ivan_id}", headers=bearer(admin))
        assert removed.status_code == 204
        assert (
            await client.post("/api/v1/auth/refresh", json={"refresh_token": ivan["refresh_token"]})
        ).status_code == 401
        assert (await login_answer(client, IVAN)).status_code == 403  # no account left
        again = await client.delete(f"/api/v1/users/{ivan_id}", headers=bearer(admin))
        assert again.status_code == 404 and again.json()["error"]["code"] == "user_not_found"


async def test_members_of_another_account_are_not_found(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        boss = await second_account(client)
        olga_id = await member_id(client, admin, OLGA)
        for answer in (
            await client.patch(f"/api/v1/users/{olga_id}", json={"role": "admin"}, headers=bearer(boss)),
            await client.delete(f"/api/v1/users/{olga_id}", headers=bearer(boss)),
            await client.patch(f"/api/v1/users/{boss['user']['id']}", json={"role": "operator"}, headers=bearer(admin)),
            await client.patch("/api/v1/users/not-a-user-id", json={"role": "operator"}, headers=bearer(admin)),
        ):
            assert answer.status_code == 404, answer.text
        assert (await login(client, OLGA))["user"]["role"] == "operator"
        assert [u["email"] for u in (await client.get("/api/v1/users", headers=bearer(boss))).json()["users"]] == [
            "boss@dealer.example"
        ]
