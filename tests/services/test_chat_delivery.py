"""A stored message is never reported as failed, and its realtime frame is always published eventually.

Some tests run on both backends (`settings`); those that take Redis or PostgreSQL away run a Redis of
their own (`scripts/redis_server.py`) and a database of their own.
"""

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select

from scripts.redis_server import RedisServer
from services.chat.app import create_app
from services.chat.models import realtime_pending
from services.chat.realtime import REPUBLISH_AFTER
from services.common.bus import RedisBus
from services.common.settings import Settings
from tests.helpers import (
    PG_ADMIN_DSN,
    as_identity,
    create_pg_database,
    drop_pg_database,
    eventually,
    operator,
    pg_url,
    running,
    visitor,
)


class Frames:
    """The frames seen on one channel."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, _: str, frame: dict[str, Any]) -> None:
        self.seen.append(frame)

    def seqs(self) -> list[int]:
        return [f["message"]["seq"] for f in self.seen if f["type"] == "message.created"]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.seen if f["type"] == kind]


async def pending_rows(app: Any) -> int:
    async with app.state.runtime.db.reading() as connection:
        return int(await connection.scalar(select(func.count()).select_from(realtime_pending)) or 0)


async def test_a_retry_with_the_same_client_msg_id_publishes_the_stored_frame_again(settings: Settings) -> None:
    """The first answer and its frame may have been lost together: a retry shows the message again."""
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        seen = Frames()
        await app.state.runtime.bus.subscribe(f"account:{guest.account_id}", seen)
        headers = as_identity(settings, guest)
        conversation = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        first = await client.post(url, json={"client_msg_id": "m1", "text": "hello"}, headers=headers)
        assert first.status_code == 201
        assert await eventually(lambda: seen.seqs() == [1])
        retry = await client.post(url, json={"client_msg_id": "m1", "text": "hello"}, headers=headers)
        assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
        assert await eventually(lambda: seen.seqs() == [1, 1])
        assert seen.of("message.created")[1]["message"] == first.json()


async def test_published_frames_leave_no_pending_row_and_are_not_sent_twice(settings: Settings) -> None:
    app = create_app(settings)
    guest = visitor()
    async with running(app) as client:
        seen = Frames()
        await app.state.runtime.bus.subscribe(f"visitor:{guest.visitor_id}", seen)
        headers = as_identity(settings, guest)
        conversation = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        for n in range(5):
            assert (await client.post(url, json={"client_msg_id": f"m{n}", "text": "hi"}, headers=headers)).is_success
        assert await eventually(lambda: seen.seqs() == [1, 2, 3, 4, 5])
        assert await eventually(lambda: _no_rows(app), seconds=2)
        await asyncio.sleep(REPUBLISH_AFTER + 0.6)  # a sweep has run: nothing of it went out again
        assert seen.seqs() == [1, 2, 3, 4, 5]


async def _no_rows(app: Any) -> bool:
    return await pending_rows(app) == 0


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
async def distributed(own_redis: RedisServer, tmp_path: Path) -> AsyncIterator[Settings]:
    """PostgreSQL and a Redis of the test's own, which it may kill."""
    name = await create_pg_database()
    try:
        yield Settings(
            fw_mode="distributed",
            database_url=pg_url(name),
            redis_url=own_redis.url,
            redis_prefix=f"fwtest-{uuid.uuid4().hex[:8]}",
            data_dir=tmp_path,
            outbox_poll_interval=0.2,
            migrate_on_start=True,
            jwt_secret=secrets.token_hex(32),
            internal_secret=secrets.token_hex(32),
        )
    finally:
        await drop_pg_database(name)


async def test_with_redis_down_a_message_is_acked_as_stored_and_its_frame_goes_out_once_redis_is_back(
    distributed: Settings, own_redis: RedisServer
) -> None:
    app = create_app(distributed)
    guest, olga = visitor(), operator()
    async with running(app) as client:
        headers = as_identity(distributed, guest)
        conversation = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        own_redis.kill()
        started = time.monotonic()
        sent = await client.post(url, json={"client_msg_id": "m1", "text": "anyone?"}, headers=headers)
        assert sent.status_code == 201, sent.text  # stored is stored: never an error
        assert sent.json()["seq"] == 1 and time.monotonic() - started < 2
        accepted = await client.post(
            f"/api/v1/conversations/{conversation['id']}/accept", headers=as_identity(distributed, olga)
        )
        assert accepted.status_code == 200
        await asyncio.sleep(REPUBLISH_AFTER + 0.6)  # the sweeper tried meanwhile, and kept the rows
        assert await pending_rows(app) == 2

        own_redis.start()
        observer = RedisBus(own_redis.url, prefix=distributed.redis_prefix)
        seen = Frames()
        await observer.subscribe(f"account:{guest.account_id}", seen)
        try:
            assert await eventually(lambda: seen.seqs() == [1] and len(seen.of("conversation.updated")) == 1)
            assert seen.of("message.created")[0]["message"]["text"] == "anyone?"
            assert seen.of("conversation.updated")[0]["conversation"]["state"] == "active"
            assert await eventually(lambda: _no_rows(app))
        finally:
            await observer.stop()


async def test_a_database_connection_ended_under_a_message_is_a_retryable_503_and_the_retry_stores_it_once(
    distributed: Settings,
) -> None:
    app = create_app(distributed)
    guest = visitor()
    database = distributed.database_url_for("chat").rsplit("/", 1)[1]
    async with running(app) as client:
        headers = as_identity(distributed, guest)
        conversation = (await client.post("/api/v1/conversations", json={}, headers=headers)).json()
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        blocker = await asyncpg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}")
        try:
            locking = blocker.transaction()
            await locking.start()
            await blocker.execute("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", conversation["id"])
            posting = asyncio.create_task(
                client.post(url, json={"client_msg_id": "m1", "text": "hello"}, headers=headers)
            )

            async def chat_waits_on_the_lock() -> bool:
                return bool(await admin.fetchval(_TERMINATE_WAITING, database, blocker.get_server_pid()))

            assert await eventually(chat_waits_on_the_lock)
            await locking.rollback()
            answer = await posting
        finally:
            await blocker.close()
            await admin.close()
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "service_unavailable"
        retry = await client.post(url, json={"client_msg_id": "m1", "text": "hello"}, headers=headers)
        assert retry.status_code == 201, retry.text
        history = (await client.get(url, headers=headers)).json()["messages"]
        assert [(m["seq"], m["client_msg_id"]) for m in history] == [(1, "m1")]


# Ends the backends of `database` (other than `blocker`) that wait for a lock; true if it ended one.
_TERMINATE_WAITING = """
SELECT bool_or(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = $1 AND pid <> $2 AND wait_event_type = 'Lock'
"""
