"""A site's allowed origins and domains, added and removed one at a time (ADM-1): checked, audited, announced
(`site.updated`, which tracking's read model follows), for the account's admins only, and no answer but the
creation's and the rotation's holds the site secret."""

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from services.common.settings import Settings
from services.gateway.api.schemas import MAX_SITE_DOMAINS, MAX_SITE_ORIGINS
from services.tracking.models import tracking_sites
from tests.helpers import eventually
from tests.services.gateway_harness import OLGA, bearer, gateway, login, second_account
from tests.services.test_site_events import listening, of_site
from tests.tracking_floor import floor

SITE = {"name": "Dealer", "domains": ["dealer.example"], "allowed_origins": ["https://dealer.example"]}


class Answers:
    """Every answer of a test's calls, to show that none of them holds the secret."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.texts: list[str] = []

    async def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        answer = await self.client.request(method, path, json=body, headers=kwargs.pop("headers", self.headers))
        self.texts.append(answer.text)
        return answer


def error(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


async def test_origins_are_added_and_removed_one_by_one_checked_audited_and_announced(settings: Settings) -> None:
    async with listening(settings) as (bus, seen), gateway(settings, bus) as client:
        admin = await login(client)
        call = Answers(client, bearer(admin))
        made = await call("POST", "/api/v1/sites", SITE)
        assert made.status_code == 201
        site = made.json()
        secret, origins = site["secret"], f"/api/v1/sites/{site['id']}/origins"
        assert secret and len(secret) >= 32

        added = await call("POST", origins, {"origin": "HTTPS://WWW.Dealer.example:443/"})
        assert added.status_code == 201, added.text
        assert added.json()["allowed_origins"] == ["https://dealer.example", "https://www.dealer.example"]
        assert added.json()["secret"] is None
        port = await call("POST", origins, {"origin": "http://localhost:8443"})
        assert port.json()["allowed_origins"][0] == "http://localhost:8443"  # sorted

        # The same origin again (however written) is a conflict, not a second copy.
        assert error(await call("POST", origins, {"origin": "https://www.dealer.example"})) == (409, "origin_exists")
        wrong = {
            "https://dealer.example/shop": "path",
            "https://dealer.example?x=1": "path, query",
            "dealer.example": "scheme://host",
            "ftp://dealer.example": "http",
            "https://user:pw@dealer.example": "user name",
            "https://*.dealer.example": "host",
            "": "origin is needed",
        }
        for origin, reason in wrong.items():
            refused = await call("POST", origins, {"origin": origin})
            assert refused.status_code == 422, origin
            [detail] = refused.json()["error"]["details"]
            assert detail["field"] == "origin" and reason in detail["message"], (origin, detail)
        assert (await call("POST", origins, {"url": "https://x.example"})).status_code == 422

        removed = await call("DELETE", origins, {"origin": "https://www.dealer.example/"})
        assert removed.status_code == 200, removed.text
        assert removed.json()["allowed_origins"] == ["http://localhost:8443", "https://dealer.example"]
        gone = await call("DELETE", origins, {"origin": "https://www.dealer.example"})
        assert error(gone) == (404, "origin_not_found") and "www.dealer.example" in gone.json()["error"]["message"]
        await call("DELETE", origins, {"origin": "http://localhost:8443"})
        last = await call("DELETE", origins, {"origin": "https://dealer.example"})
        assert error(last) == (409, "last_origin")
        nowhere = "/api/v1/sites/no-such-site/origins"
        assert error(await call("POST", nowhere, {"origin": "https://x.example"})) == (404, "site_not_found")

        # Only the account's admins change them; for another account's admin the site is not there.
        olga, boss = bearer(await login(client, OLGA)), bearer(await second_account(client))
        assert (await call("POST", origins, {"origin": "https://evil.example"}, headers=olga)).status_code == 403
        for method in ("POST", "DELETE"):
            foreign = await call(method, origins, {"origin": "https://dealer.example"}, headers=boss)
            assert error(foreign) == (404, "site_not_found")
        now = (await call("GET", f"/api/v1/sites/{site['id']}")).json()
        assert now["allowed_origins"] == ["https://dealer.example"] and now["secret"] is None

        # Each change is in the audit log (before and after) and announced with the site's whole new state.
        log = (await call("GET", "/api/v1/audit")).json()["entries"]
        changes = [
            (e["before"], e["after"]) for e in log if e["entity_id"] == site["id"] and e["action"] == "site.updated"
        ]
        assert changes[::-1] == [
            ({"allowed_origins": ["https://dealer.example"]}, {"allowed_origins": [*added.json()["allowed_origins"]]}),
            ({"allowed_origins": added.json()["allowed_origins"]}, {"allowed_origins": port.json()["allowed_origins"]}),
            (
                {"allowed_origins": port.json()["allowed_origins"]},
                {"allowed_origins": removed.json()["allowed_origins"]},
            ),
            ({"allowed_origins": removed.json()["allowed_origins"]}, {"allowed_origins": ["https://dealer.example"]}),
        ]
        assert all(e["actor_id"] == admin["user"]["id"] for e in log if e["entity_id"] == site["id"])
        assert await eventually(lambda: len(of_site(seen, site["id"])) == 5)
        announced = [(kind, payload["allowed_origins"]) for kind, payload in of_site(seen, site["id"])]
        assert announced == [
            ("site.created", ["https://dealer.example"]),
            ("site.updated", added.json()["allowed_origins"]),
            ("site.updated", port.json()["allowed_origins"]),
            ("site.updated", removed.json()["allowed_origins"]),
            ("site.updated", ["https://dealer.example"]),
        ]
        assert not [text for text in call.texts[1:] if secret in text]
        assert secret not in str(log) and secret not in str([e.model_dump() for e in seen])


async def test_domains_are_added_and_removed_one_by_one(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        call = Answers(client, bearer(admin))
        site = (await call("POST", "/api/v1/sites", SITE)).json()
        domains = f"/api/v1/sites/{site['id']}/domains"
        added = await call("POST", domains, {"domain": " WWW.Dealer.Example. "})
        assert added.status_code == 201 and added.json()["domains"] == ["dealer.example", "www.dealer.example"]
        assert (await call("POST", domains, {"domain": "bücher.example"})).json()["domains"][
            -1
        ] == "xn--bcher-kva.example"
        assert (await call("POST", domains, {"domain": "127.0.0.1"})).status_code == 201
        assert error(await call("POST", domains, {"domain": "www.dealer.example"})) == (409, "domain_exists")
        for domain, reason in {
            "https://dealer.example": "host name alone",
            "dealer.example:8080": "port",
            "-dealer.example": "label",
            "": "domain is needed",
        }.items():
            refused = await call("POST", domains, {"domain": domain})
            assert refused.status_code == 422, domain
            assert reason in refused.json()["error"]["details"][0]["message"], (domain, refused.json())

        removed = await call("DELETE", f"{domains}/WWW.dealer.example")
        assert removed.status_code == 200 and "www.dealer.example" not in removed.json()["domains"]
        assert error(await call("DELETE", f"{domains}/www.dealer.example")) == (404, "domain_not_found")
        assert error(await call("DELETE", f"{domains}/a%2Fb")) == (404, "not_found")
        assert (await call("DELETE", f"{domains}/xn--bcher-kva.example")).status_code == 200
        boss = bearer(await second_account(client))
        foreign = await call("DELETE", f"{domains}/dealer.example", headers=boss)
        assert error(foreign) == (404, "site_not_found")
        assert (await call("GET", f"/api/v1/sites/{site['id']}")).json()["domains"] == ["dealer.example", "127.0.0.1"]
        assert not [text for text in call.texts[1:] if site["secret"] in text]


async def test_only_the_creation_and_the_rotation_answer_with_the_secret(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        call = Answers(client, bearer(admin))
        site = (await call("POST", "/api/v1/sites", SITE)).json()
        path = f"/api/v1/sites/{site['id']}"
        rotated = await call("POST", f"{path}/secret")
        new_secret = rotated.json()["secret"]
        assert rotated.status_code == 200 and new_secret and new_secret != site["secret"]
        read = [
            await call("GET", path),
            await call("GET", "/api/v1/sites"),
            await call("PATCH", path, {"name": "Dealer two", "allowed_origins": ["https://dealer.example"]}),
            await call("PATCH", path, {"name": "Dealer two"}),  # no change at all
            await call("POST", f"{path}/origins", {"origin": "https://b.example"}),
            await call("DELETE", f"{path}/origins", {"origin": "https://b.example"}),
        ]
        assert [a.status_code for a in read] == [200, 200, 200, 200, 201, 200]
        for answer in read:
            assert site["secret"] not in answer.text and new_secret not in answer.text
        assert read[0].json()["secret"] is None and all(s["secret"] is None for s in read[1].json()["sites"])
        log = (await call("GET", "/api/v1/audit")).json()["entries"]
        assert [e["action"] for e in log if e["entity_id"] == site["id"]][-2:] == [
            "site.secret_rotated",
            "site.created",
        ]


async def test_two_admins_adding_origins_at_once_both_keep_theirs(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = await login(client)
        site = (await client.post("/api/v1/sites", json=SITE, headers=bearer(admin))).json()
        wanted = [f"https://shop{i}.example" for i in range(6)]
        answers = await asyncio.gather(
            *(
                client.post(f"/api/v1/sites/{site['id']}/origins", json={"origin": o}, headers=bearer(admin))
                for o in wanted
            )
        )
        assert [a.status_code for a in answers] == [201] * len(wanted)
        stored = (await client.get(f"/api/v1/sites/{site['id']}", headers=bearer(admin))).json()["allowed_origins"]
        assert stored == sorted(["https://dealer.example", *wanted])


async def test_a_newly_allowed_origin_opens_the_widget_there_and_reaches_trackings_read_model(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        newcomer = "https://new-shop.example"
        session = {"site_key": shop.site_key}
        refused = await place.client.post("/api/v1/widget/session", json=session, headers={"origin": newcomer})
        assert error(refused) == (403, "origin_not_allowed")
        added = await place.client.post(
            f"/api/v1/sites/{shop.site_id}/origins", json={"origin": newcomer}, headers=shop.admin
        )
        assert added.status_code == 201, added.text
        opened = await place.client.post("/api/v1/widget/session", json=session, headers={"origin": newcomer})
        assert opened.status_code == 200, opened.text
        # The event endpoint's preflight too (the widget session's lets any page through, to read its refusal).
        preflight = await place.client.options(
            "/api/v1/track/events", headers={"origin": newcomer, "access-control-request-method": "POST"}
        )
        assert preflight.headers.get("access-control-allow-origin") == newcomer

        async def read_model() -> list[str]:
            async with place.tracking.state.runtime.db.reading() as conn:
                row = (
                    await conn.execute(
                        select(tracking_sites.c.allowed_origins).where(tracking_sites.c.site_id == shop.site_id)
                    )
                ).first()
            return list(row[0]) if row else []

        async def heard() -> bool:
            return newcomer in await read_model()

        assert await eventually(heard), await read_model()
        removed = await place.client.request(
            "DELETE", f"/api/v1/sites/{shop.site_id}/origins", json={"origin": newcomer}, headers=shop.admin
        )
        assert removed.status_code == 200
        again = await place.client.post("/api/v1/widget/session", json=session, headers={"origin": newcomer})
        assert error(again) == (403, "origin_not_allowed")

        async def preflight_refused() -> bool:  # the gateway's origin cache forgets it within its lifetime
            answer = await place.client.options(
                "/api/v1/track/events", headers={"origin": newcomer, "access-control-request-method": "POST"}
            )
            return "access-control-allow-origin" not in answer.headers

        assert await eventually(preflight_refused, 15)

        async def forgotten() -> bool:
            return newcomer not in await read_model()

        assert await eventually(forgotten), await read_model()


async def test_a_site_holds_a_bounded_number_of_origins_and_domains(settings: Settings) -> None:
    async with gateway(settings) as client:
        call = Answers(client, bearer(await login(client)))
        site = (await call("POST", "/api/v1/sites", SITE)).json()
        origins, domains = f"/api/v1/sites/{site['id']}/origins", f"/api/v1/sites/{site['id']}/domains"
        for i in range(1, MAX_SITE_ORIGINS):
            assert (await call("POST", origins, {"origin": f"https://o{i}.dealer.example"})).status_code == 201
        refused = await call("POST", origins, {"origin": "https://one-too-many.dealer.example"})
        assert error(refused) == (409, "too_many_origins")
        assert str(MAX_SITE_ORIGINS) in refused.json()["error"]["message"]
        for i in range(1, MAX_SITE_DOMAINS):
            assert (await call("POST", domains, {"domain": f"d{i}.dealer.example"})).status_code == 201
        assert error(await call("POST", domains, {"domain": "one-too-many.dealer.example"})) == (
            409,
            "too_many_domains",
        )
        kept = (await call("GET", f"/api/v1/sites/{site['id']}")).json()
        assert len(kept["allowed_origins"]) == MAX_SITE_ORIGINS and len(kept["domains"]) == MAX_SITE_DOMAINS
        assert "https://one-too-many.dealer.example" not in kept["allowed_origins"]
