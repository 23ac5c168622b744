"""A service whose database is unavailable answers 503 `service_unavailable` (retryable), not a 500 with a
traceback: chat's database locked (SQLite) or its session ended by PostgreSQL under a request, over REST and
over the visitor socket (a retryable error frame); once the database is back, the same message is stored."""

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.chat.app import create_app as create_chat
from services.common import db
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway.app import create_app as create_gateway
from tests.chat_client import next_frame, open_socket, visitor_session, ws_url
from tests.helpers import BROWSER_UA, PG_ADMIN_DSN, free_port, live_server

Outage = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    bus = MemoryBus() if settings.redis_url is None else None
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        headers = {"origin": base, "user-agent": BROWSER_UA}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=20) as client:
            client.app = app  # type: ignore[attr-defined]
            yield base, client


@asynccontextmanager
async def sqlite_locked(settings: Settings) -> AsyncIterator[Outage]:
    """Someone else holds chat's write lock: every write of chat waits its busy timeout, then fails."""

    async def during(request: Callable[[], Awaitable[Any]]) -> Any:
        # In a thread: chat may be in the middle of a write (its outbox relay deleting what it published),
        # which needs this event loop to commit; waiting for the lock on the loop would wait for ever.
        holder = sqlite3.connect(settings.data_dir / "chat.db", isolation_level=None, check_same_thread=False)
        try:
            await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")
            return await request()
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()

    yield during


@asynccontextmanager
async def postgres_ends_the_session(settings: Settings, table: str = "messages") -> AsyncIterator[Outage]:
    """PostgreSQL ends a service's session in the middle of its work (`pg_terminate_backend`, as a server
    shutting down or an administrator does): the request waits on a lock of `table` (chat's messages by
    default), and its backend is terminated while it waits."""
    database = (settings.database_url or "").rsplit("/", 1)[1]
    admin = await asyncpg.connect(PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}")

    async def during(request: Callable[[], Awaitable[Any]]) -> Any:
        holder = admin.transaction()
        await holder.start()
        await admin.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            pending = asyncio.create_task(request())
            # End every session waiting on a lock until the request is answered: its own, once it reaches the lock,
            # and any other that waits behind its transaction (e.g. a visitor's beat on the conversation's row).
            async with asyncio.timeout(30):  # a busy machine: the request may take a while to reach the lock
                while not pending.done():
                    # pg_stat_activity is read once per transaction (this one holds the lock): read it anew
                    await admin.execute("SELECT pg_stat_clear_snapshot()")
                    waiting = await admin.fetch(
                        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", database
                    )
                    for row in waiting:
                        await admin.execute("SELECT pg_terminate_backend($1)", row["pid"])
                    await asyncio.sleep(0.02)
            return await pending
        finally:
            await holder.rollback()

    try:
        yield during
    finally:
        await admin.close()


def outage(settings: Settings) -> Any:
    return sqlite_locked(settings) if settings.database_url is None else postgres_ends_the_session(settings)


def assert_retryable_503(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The service is unavailable for a moment: try again.",
            "retryable": True,
        }
    }
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-security-policy"]  # the gateway's headers, as on every answer
    assert "Traceback" not in answer.text


async def test_a_database_unavailable_under_a_chat_write_answers_503_and_the_retry_is_stored(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_SECONDS", 0.3)  # SQLite gives up waiting for the lock sooner
    async with gateway(settings) as (base, client), outage(settings) as during:
        token = (await visitor_session(client))["visitor_token"]
        headers = {"authorization": f"Bearer {token}"}
        started = await client.post("/api/v1/conversations", json={}, headers=headers)
        assert started.status_code == 201, started.text
        messages = f"/api/v1/conversations/{started.json()['id']}/messages"
        body = {"client_msg_id": "m-1", "text": "Is the TV in stock?"}

        answer = await during(lambda: client.post(messages, json=body, headers=headers))
        assert_retryable_503(answer)
        retried = await client.post(messages, json=body, headers=headers)
        assert retried.status_code == 201, retried.text

        async with open_socket(base, "/ws/visitor", token) as ws:
            frame = {"type": "message.send", "conversation_id": started.json()["id"], "client_msg_id": "m-2"}
            frame["text"] = "Hello?"

            async def send() -> dict[str, Any]:
                await ws.send(json.dumps(frame))
                return await next_frame(ws, "error", within=10)

            error = await during(send)
            assert {k: error[k] for k in ("code", "retryable", "client_msg_id")} == {
                "code": "service_unavailable",
                "retryable": True,
                "client_msg_id": "m-2",
            }
            await ws.send(json.dumps(frame))
            assert (await next_frame(ws, "message.ack"))["client_msg_id"] == "m-2"

        stored = await client.get(messages, headers=headers)
        assert [m["client_msg_id"] for m in stored.json()["messages"]] == ["m-1", "m-2"]
    # The requests' and frames' failures are logged as an outage (a line saying what), not as bugs.
    answered = [r for r in caplog.records if r.name in ("floorwalker.errors", "floorwalker.gateway.sockets")]
    assert [r.getMessage() for r in answered if r.levelno >= logging.ERROR] == []
    said = [r.getMessage() for r in answered]
    assert len([m for m in said if "POST /api/v1/conversations/" in m and ": unavailable (" in m]) == 2, said


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
async def test_a_socket_whose_site_cannot_be_read_is_told_to_retry(settings: Settings) -> None:
    """The visitor socket reads its site when the `auth` frame names it: the gateway's database ending that
    session is a retryable error frame and a close 1013 (try again later), not a 1011 with a traceback."""
    async with gateway(settings) as (base, client), postgres_ends_the_session(settings, "sites") as during:
        token = (await visitor_session(client))["visitor_token"]
        client.app.state.gateway.sites.forget()  # type: ignore[attr-defined]
        async with connect(ws_url(base, "/ws/visitor"), origin=base) as ws:  # type: ignore[arg-type]

            async def authenticate() -> dict[str, Any]:
                await ws.send(json.dumps({"type": "auth", "token": token}))
                return dict(json.loads(await ws.recv()))

            error = await during(authenticate)
            assert {k: error[k] for k in ("type", "code", "retryable")} == {
                "type": "error",
                "code": "service_unavailable",
                "retryable": True,
            }
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        async with open_socket(base, "/ws/visitor", token):  # once the database is back, it is admitted
            pass
