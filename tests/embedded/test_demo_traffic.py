"""`make run`'s floor is alive from the first minute (issue 12, item 10): simulated visitors from several
countries and devices walk the demo shop through the real ingest path, marked `simulated: true`, seen only
by the demo account; `DEMO_TRAFFIC=false` turns them off."""

import asyncio
import random
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.gateway.demo.pages import router as demo_router
from services.gateway.demo.traffic import a_walk
from tests.chat_client import login
from tests.helpers import BROWSER_UA, eventually, free_port, start_embedded

ADMIN_KEY = "demo-traffic-admin-key-0123456789"


@asynccontextmanager
async def make_run(data_dir: Path, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    process = start_embedded(data_dir, port, ADMIN_API_KEY=ADMIN_KEY, **env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            yield client
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def live(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/visitors/live", headers=headers)
    assert answer.status_code == 200, answer.text
    visitors: list[dict[str, Any]] = answer.json()["visitors"]
    return visitors


async def other_account(client: httpx.AsyncClient) -> dict[str, str]:
    body = {"name": "Other", "admin_email": "boss@other.example", "admin_password": "correct-horse-battery"}
    made = await client.post("/api/v1/accounts", json=body | {"admin_name": "Boss"}, headers={"x-admin-key": ADMIN_KEY})
    assert made.status_code == 201, made.text
    token = await client.post(
        "/api/v1/auth/login", json={"email": body["admin_email"], "password": "correct-horse-battery"}
    )
    return {"authorization": f"Bearer {token.json()['access_token']}"}


async def test_simulated_visitors_fill_the_demo_accounts_live_list_and_no_other(tmp_path: Path) -> None:
    async with make_run(tmp_path, DEMO_TRAFFIC="true", DEMO_TRAFFIC_VISITORS="5") as client:
        demo = {"authorization": f"Bearer {(await login(client))['access_token']}"}
        seen: list[dict[str, Any]] = []

        async def five_on_the_floor() -> bool:
            nonlocal seen
            seen = await live(client, demo)
            return len(seen) >= 5

        assert await eventually(five_on_the_floor, 20), seen
        assert all(v["attributes"]["simulated"] is True for v in seen)
        assert all(v["current_url"].startswith(f"{client.base_url}/demo/") for v in seen)
        assert len({v["location"]["country_code"] for v in seen}) >= 4, [v["location"] for v in seen]
        assert {v["device"]["device_class"] for v in seen} >= {"desktop", "mobile"}
        assert all(not v.get("is_robot") for v in seen)
        detail = (await client.get(f"/api/v1/visitors/{seen[0]['visitor_id']}", headers=demo)).json()
        assert detail["visits"][0]["pages"][0]["url"] == f"{client.base_url}/demo/"  # each visit starts at home

        boss = await other_account(client)
        await asyncio.sleep(1)
        assert await live(client, boss) == []  # never counted outside the demo account


async def test_demo_traffic_off_leaves_the_floor_empty(tmp_path: Path) -> None:
    async with make_run(tmp_path, DEMO_TRAFFIC="false") as client:
        demo = {"authorization": f"Bearer {(await login(client))['access_token']}"}
        await asyncio.sleep(3)
        assert await live(client, demo) == []


async def test_every_page_of_a_simulated_walk_is_a_page_of_the_demo_shop() -> None:
    shop = FastAPI()
    shop.include_router(demo_router)
    rng = random.Random(7)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shop), base_url="http://shop") as client:
        paths = {page.path for _ in range(50) for page in a_walk(rng)}
        for path in sorted(paths):
            assert (await client.get(path)).status_code == 200, path
    assert any(path.count("/") == 3 and not path.endswith("/") for path in paths)  # product pages among them
    assert any(path.startswith("/demo/search?q=") for path in paths)
