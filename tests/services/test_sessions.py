"""Operators' sessions: login throttled (the same for unknown e-mails), logout, a reused refresh token
ending its whole session, a password change ending the others, short-lived access tokens."""

import asyncio
import json
import time

import httpx
import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from services.gateway.demo.seed import DEMO_ADMIN, DEMO_PASSWORD
from tests.common.test_tokens import forged_tokens
from tests.helpers import free_port, live_server
from tests.services.gateway_harness import IVAN, OLGA, bearer, gateway, login, login_answer


async def refresh_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.post("/api/v1/auth/refresh", json={"refresh_token": token})).status_code


async def test_logins_are_throttled_per_email_with_the_same_answer_for_unknown_emails(settings: Settings) -> None:
    settings.login_attempts_per_15min = 3
    async with gateway(settings) as client:
        for email in (OLGA, "nobody@nowhere.example"):
            wrong = [await login_answer(client, email, "wrong-password") for _ in range(3)]
            assert {(a.status_code, a.json()["error"]["code"]) for a in wrong} == {(401, "invalid_credentials")}
            throttled = await login_answer(client, email, DEMO_PASSWORD)  # even the right password now
            assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(throttled.headers["retry-after"]) <= 900
            assert "e-mail address" in throttled.json()["error"]["message"]
        assert (await login_answer(client, OLGA.upper(), DEMO_PASSWORD)).status_code == 429  # one address, any case
        assert (await login_answer(client, IVAN)).status_code == 200  # other e-mails are not affected


async def test_logins_are_throttled_per_client_address(settings: Settings) -> None:
    settings.login_attempts_per_ip_per_15min = 4
    async with gateway(settings) as client:
        answers = [await login_answer(client, f"guess-{i}@example.com", "x") for i in range(5)]
        assert [a.status_code for a in answers] == [401] * 4 + [429]
        assert "address" in answers[-1].json()["error"]["message"] and answers[-1].headers["retry-after"]


async def test_an_unknown_email_takes_as_long_as_a_wrong_password(settings: Settings) -> None:
    async with gateway(settings) as client:

        async def timed(email: str) -> float:
            started = time.perf_counter()
            assert (await login_answer(client, email, "wrong-password")).status_code == 401
            return time.perf_counter() - started

        # Taken in turns and the fastest of each kept: a busy machine slows both alike, not one of them.
        times: dict[str, list[float]] = {OLGA: [], "nobody@nowhere.example": []}
        for _ in range(6):
            for email, taken in times.items():
                taken.append(await timed(email))
        known, unknown = min(times[OLGA]), min(times["nobody@nowhere.example"])
        assert 0.5 < known / unknown < 2, (known, unknown)


async def test_access_tokens_are_short_lived_and_name_their_session(settings: Settings) -> None:
    async with gateway(settings) as client:
        tokens = await login(client)
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert tokens["expires_in"] == 900 and claims["exp"] - claims["iat"] == 900
        again = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        renewed = jwt.decode(again.json()["access_token"], options={"verify_signature": False})
        assert claims["sid"] and renewed["sid"] == claims["sid"]
        other = jwt.decode((await login(client))["access_token"], options={"verify_signature": False})
        assert other["sid"] != claims["sid"]


async def test_logout_ends_the_session_and_only_that_one(settings: Settings) -> None:
    async with gateway(settings) as client:
        first, second, third = await login(client), await login(client), await login(client)
        out = await client.post("/api/v1/auth/logout", json={"refresh_token": first["refresh_token"]})
        assert out.status_code == 204
        assert await refresh_status(client, first["refresh_token"]) == 401
        # Logged out with the access token alone: its session (`sid`) ends.
        assert (await client.post("/api/v1/auth/logout", headers=bearer(second))).status_code == 204
        assert await refresh_status(client, second["refresh_token"]) == 401
        assert await refresh_status(client, third["refresh_token"]) == 200
        nothing = await client.post("/api/v1/auth/logout")
        assert nothing.status_code == 401 and nothing.json()["error"]["code"] == "not_authenticated"
        unknown = await client.post("/api/v1/auth/logout", json={"refresh_token": "x" * 40})
        assert unknown.status_code == 204


async def test_reusing_a_rotated_refresh_token_ends_the_whole_session(settings: Settings) -> None:
    async with gateway(settings) as client:
        stolen, bystander = await login(client), await login(client)
        renewed = (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})).json()
        reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
        assert reused.status_code == 401 and reused.json()["error"]["code"] == "invalid_refresh_token"
        assert await refresh_status(client, renewed["refresh_token"]) == 401  # the legitimate holder is out too
        assert await refresh_status(client, bystander["refresh_token"]) == 200  # another session is not


async def test_a_password_change_needs_the_current_one_and_ends_the_other_sessions(settings: Settings) -> None:
    async with gateway(settings) as client:
        here, elsewhere = await login(client, OLGA), await login(client, OLGA)
        admin = await login(client, DEMO_ADMIN)
        change = {"current_password": "not-it", "new_password": "a-new-long-password"}
        wrong = await client.post("/api/v1/auth/password", json=change, headers=bearer(here))
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
        short = {"current_password": DEMO_PASSWORD, "new_password": "short"}
        assert (await client.post("/api/v1/auth/password", json=short, headers=bearer(here))).status_code == 422
        assert (await client.post("/api/v1/auth/password", json=change)).status_code == 401

        change["current_password"] = DEMO_PASSWORD
        done = await client.post("/api/v1/auth/password", json=change, headers=bearer(here))
        assert done.status_code == 204
        assert await refresh_status(client, here["refresh_token"]) == 200
        assert await refresh_status(client, elsewhere["refresh_token"]) == 401
        assert await refresh_status(client, admin["refresh_token"]) == 200  # another user's session
        assert (await login_answer(client, OLGA, DEMO_PASSWORD)).status_code == 401
        assert (await login_answer(client, OLGA, "a-new-long-password")).status_code == 200


async def test_forged_tokens_are_refused_with_401_by_the_gateway_and_its_proxy(settings: Settings) -> None:
    async with gateway(settings) as client:
        for reason, token in forged_tokens(settings.jwt_secret).items():
            for path in ("/api/v1/auth/me", "/api/v1/users", "/api/v1/audit", "/api/v1/sites", "/api/v1/conversations"):
                answer = await client.get(path, headers={"authorization": f"Bearer {token}"})
                assert answer.status_code == 401, (reason, path, answer.text)
                assert answer.json()["error"]["code"] in {"invalid_token", "token_expired"}, (reason, path)


async def test_forged_tokens_are_refused_by_the_sockets_first_frame(settings: Settings) -> None:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    app = create_gateway(settings, MemoryBus() if settings.redis_url is None else None, {})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        url = base.replace("http://", "ws://")
        tokens = forged_tokens(settings.jwt_secret)
        for reason in (
            "alg none",
            "HS512 with the right secret",
            "the old public development secret",
            "an unknown role",
        ):
            for path in ("/ws/operator", "/ws/visitor"):
                async with connect(url + path, origin=base) as ws:  # type: ignore[arg-type]
                    await ws.send(json.dumps({"type": "auth", "token": tokens[reason]}))
                    with pytest.raises(ConnectionClosed) as closed:
                        async with asyncio.timeout(5):
                            await ws.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008, (reason, path)
