"""Which failures say "unavailable, retry" (503) and which are bugs (500): real errors of the real drivers."""

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text

from services.common.db import Database
from services.common.errors import install_error_handlers
from services.common.failures import UnhandledErrors, unavailable
from tests.helpers import create_pg_database, drop_pg_database, free_port, pg_url


async def raised(work: Callable[[], Awaitable[Any]]) -> BaseException:
    with pytest.raises(Exception) as caught:
        await work()
    return caught.value


async def test_sqlite_busy_is_unavailable_and_a_bad_statement_or_constraint_is_not(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with database.transaction() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        await connection.execute(text("INSERT INTO t VALUES (1)"))
        await connection.execute(text("PRAGMA busy_timeout = 100"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def write(statement: str) -> None:
        async with database.transaction() as connection:
            await connection.execute(text("PRAGMA busy_timeout = 100"))
            await connection.execute(text(statement))

    try:
        assert unavailable(await raised(lambda: write("INSERT INTO t VALUES (2)")))  # database is locked
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not unavailable(await raised(lambda: write("INSERT INTO t VALUES (1)")))  # UNIQUE constraint
    assert not unavailable(await raised(lambda: write("SELEC 1")))
    assert not unavailable(await raised(lambda: write("SELECT * FROM nowhere")))
    await database.dispose()


async def test_postgres_ending_the_session_or_refusing_connections_is_unavailable_and_a_bug_is_not() -> None:
    name = await create_pg_database()
    database = Database(pg_url(name))
    try:

        async def ended() -> None:
            async with database.transaction() as connection:
                await connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

        async def duplicate() -> None:
            async with database.transaction() as connection:
                await connection.execute(text("CREATE TEMP TABLE t (id int PRIMARY KEY)"))
                await connection.execute(text("INSERT INTO t VALUES (1), (1)"))

        async def timed_out() -> None:
            async with database.transaction() as connection:
                await connection.execute(text("SET LOCAL statement_timeout = 10"))
                await connection.execute(text("SELECT pg_sleep(1)"))

        assert unavailable(await raised(ended))
        assert unavailable(await raised(timed_out))
        assert not unavailable(await raised(duplicate))
        assert not unavailable(await raised(lambda: _syntax_error(database)))
    finally:
        await database.dispose()
        await drop_pg_database(name)
    nobody = Database(pg_url(name).replace(":5432/", f":{free_port()}/"))
    assert unavailable(await raised(nobody.ping))  # connection refused
    await nobody.dispose()


async def _syntax_error(database: Database) -> None:
    async with database.reading() as connection:
        await connection.execute(text("SELEC 1"))


async def test_redis_refusing_connections_is_unavailable_and_other_errors_are_not() -> None:
    redis = Redis(port=free_port())
    try:
        assert unavailable(await raised(redis.ping))
    finally:
        await redis.aclose()
    assert not unavailable(ValueError("no"))
    assert not unavailable(KeyError("x"))


def test_a_write_on_a_connection_closed_under_uvloop_is_unavailable_and_other_runtime_errors_are_not() -> None:
    """Redis restarting under redis-py, on uvicorn's uvloop: the write fails with uvloop's RuntimeError."""

    async def write_after_close() -> BaseException:
        server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
        _, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.transport.abort()
        await asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError) as caught:
                writer.write(b"PING\r\n")
            return caught.value
        finally:
            server.close()

    assert unavailable(uvloop.run(write_after_close()))
    assert not unavailable(RuntimeError("dictionary changed size during iteration"))
    assert not unavailable(RuntimeError("unable to perform operation: a bug of ours"))


async def test_an_unhandled_error_is_a_json_500_and_an_unavailable_database_a_retryable_503(tmp_path: Path) -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(UnhandledErrors)
    nobody = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret detail of a bug")

    @app.get("/down")
    async def down() -> None:
        await nobody.ping()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        bug_answer = await client.get("/bug")
        down_answer = await client.get("/down")
    await nobody.dispose()
    assert bug_answer.status_code == 500
    assert bug_answer.json() == {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
    assert down_answer.status_code == 503 and down_answer.headers["retry-after"] == "1"
    assert down_answer.json()["error"]["code"] == "service_unavailable"
    assert down_answer.json()["error"]["retryable"] is True
    assert "secret detail" not in bug_answer.text and "127.0.0.1" not in down_answer.text
