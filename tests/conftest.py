"""Shared fixtures: the real PostgreSQL and Redis of this machine, or SQLite and the memory bus."""

import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scripts.stack import forget_redis_keys
from services.common.settings import Settings
from tests.helpers import TEST_REDIS_URL, create_pg_database, drop_pg_database, pg_url


@pytest.fixture(params=["sqlite", "postgres"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for one test: embedded (SQLite + memory bus) or distributed (PostgreSQL + Redis).

    Embedded, the signing secrets are the ones made in the test's data folder (as at a first start);
    distributed, random ones are set, as a deployment sets them."""
    if request.param == "sqlite":
        yield Settings(
            fw_mode="embedded", data_dir=tmp_path, database_url=None, redis_url=None, outbox_poll_interval=0.2
        )
        return
    name = await create_pg_database()
    prefix = f"fwtest-{uuid.uuid4().hex[:8]}"
    try:
        yield Settings(
            fw_mode="distributed",
            jwt_secret=secrets.token_hex(32),
            internal_secret=secrets.token_hex(32),
            database_url=pg_url(name),
            redis_url=TEST_REDIS_URL,
            redis_prefix=prefix,
            data_dir=tmp_path,
            outbox_poll_interval=0.2,
            migrate_on_start=True,
        )
    finally:
        await drop_pg_database(name)
        await forget_redis_keys(TEST_REDIS_URL, prefix)


@pytest.fixture(autouse=True)
async def _dump_tasks_when_stuck() -> AsyncIterator[None]:
    """If a test is still running after 50 s, print where every asyncio task waits (before the timeout hits)."""
    import asyncio
    import sys

    async def watchdog() -> None:
        await asyncio.sleep(50)
        for task in asyncio.all_tasks():
            print(f"--- task {task.get_name()}", file=sys.stderr)
            task.print_stack(file=sys.stderr)

    dog = asyncio.create_task(watchdog())
    yield
    dog.cancel()


# `make test` hands whole files to its pytest-xdist processes in this order (`--dist loadfile
# --no-loadscope-reorder`): files holding long tests first, so that no long file starts last and leaves one
# process running alone at the end. Within a weight, and within a file, the collection order stays.
FILE_WEIGHTS = {"long": 3, "stack": 2, "browser": 1}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    weight: dict[str, int] = {}
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        mine = max((FILE_WEIGHTS[name] for name in marks & FILE_WEIGHTS.keys()), default=0)
        weight[item.location[0]] = max(weight.get(item.location[0], 0), mine)
    items.sort(key=lambda item: -weight[item.location[0]])
