"""The embedded mode keeps its live list in memory: after a restart of `make run` on the same data folder,
the visitors active within `LIVE_IDLE_SECONDS` are back on it (rebuilt from the stored visits), and those
who went idle longer meanwhile are not."""

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.chat_client import login, visitor_session
from tests.helpers import BROWSER_UA, eventually, free_port, start_embedded

IDLE_SECONDS = 60
ALMOST_IDLE = 40  # seconds before the first start's page view: live then, idle past IDLE_SECONDS after the restart


@asynccontextmanager
async def embedded(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """`python -m services.embedded` on the data folder (a new port each time), stopped as Ctrl-C would."""
    port = free_port()
    process = start_embedded(data_dir, port, LIVE_IDLE_SECONDS=str(IDLE_SECONDS))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=15
        ) as client:
            yield client
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return {"authorization": f"Bearer {(await login(client))['access_token']}"}


async def live(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/v1/visitors/live", headers=headers)
    assert answer.status_code == 200, answer.text
    return {v["visitor_id"]: v for v in answer.json()["visitors"]}


async def view(client: httpx.AsyncClient, visitor: dict[str, Any], path: str, at: datetime) -> None:
    """A page view through the product's ingest path: the gateway's endpoint -> `track.batch` -> tracking."""
    page = {"type": "pageview", "url": f"{client.base_url}{path}", "title": path, "at": at.isoformat()}
    headers = {"authorization": f"Bearer {visitor['visitor_token']}"}
    answer = await client.post("/api/v1/track/events", json={"events": [page]}, headers=headers)
    assert answer.status_code == 202 and answer.json()["accepted"] == 1, answer.text


async def test_visitors_active_before_a_restart_are_back_on_the_live_list(tmp_path: Path) -> None:
    async with embedded(tmp_path) as client:
        headers = await admin_headers(client)
        here, also_here, leaving = [await visitor_session(client) for _ in range(3)]
        settings = f"/api/v1/track/settings/{here['site']['id']}"

        async def site_known() -> bool:  # tracking stores a site's page views once it heard of the site
            return (await client.get(settings, headers=headers)).status_code == 200

        assert await eventually(site_known, 20), "tracking never heard of the demo site"
        now = datetime.now(UTC)
        viewed_at = time.monotonic()
        await view(client, leaving, "/demo/informatica/", now - timedelta(seconds=ALMOST_IDLE))
        await view(client, here, "/demo/informatica/", now)
        await view(client, here, "/demo/cozinha/", now + timedelta(seconds=1))
        await view(client, also_here, "/demo/cozinha/", now)
        ids = {here["visitor_id"], also_here["visitor_id"], leaving["visitor_id"]}
        before: dict[str, dict[str, Any]] = {}

        async def all_live() -> bool:
            nonlocal before
            before = await live(client, headers)
            # Each visitor's segment (SEG-1) comes a moment after the page view: the records as they settle.
            return ids <= before.keys() and all(before[v["visitor_id"]]["segment_id"] for v in (here, also_here))

        assert await eventually(all_live, 30), f"not all live before the restart: {sorted(before)}"
    # Down long enough for `leaving` to pass LIVE_IDLE_SECONDS (a start alone may take less).
    await asyncio.sleep(max(0.0, IDLE_SECONDS - ALMOST_IDLE + 1 - (time.monotonic() - viewed_at)))
    async with embedded(tmp_path) as client:
        after = await live(client, await admin_headers(client))
    assert leaving["visitor_id"] not in after
    assert {here["visitor_id"], also_here["visitor_id"]} <= after.keys()
    for visitor in (here, also_here):  # the same records: where they are, since when, how many pages, from where
        assert after[visitor["visitor_id"]] == before[visitor["visitor_id"]]
    assert after[here["visitor_id"]]["current_url"].endswith("/demo/cozinha/")
    assert after[here["visitor_id"]]["pages_viewed"] == 2
