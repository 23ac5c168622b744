"""A service that is behind keeps its PostgreSQL connections: more transactions at once than the pool holds
wait for a connection instead of opening one that is closed again as soon as it is given back (which made a
busy chat service open a new server process for most of its transactions: docs/performance.md)."""

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import POOL_SIZE, Database
from tests.helpers import create_pg_database, drop_pg_database, pg_url


async def test_bursts_beyond_the_pool_reuse_its_connections_and_all_complete() -> None:
    name = await create_pg_database()
    db = Database(pg_url(name))
    backends: set[int] = set()
    at_once = 0
    most_at_once = 0

    async def unit_of_work() -> None:
        nonlocal at_once, most_at_once
        async with db.transaction() as conn:
            at_once += 1
            most_at_once = max(most_at_once, at_once)
            backends.add(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            await conn.execute(text("SELECT pg_sleep(0.02)"))
            at_once -= 1

    try:
        for _ in range(4):  # bursts of twice the pool, with the pool idle in between
            await asyncio.gather(*(unit_of_work() for _ in range(2 * POOL_SIZE)))
            await asyncio.sleep(0.05)
    finally:
        await db.dispose()
        await drop_pg_database(name)
    assert most_at_once == POOL_SIZE  # the pool was used to the full, never past it
    assert len(backends) <= POOL_SIZE, f"{len(backends)} server processes for {8 * POOL_SIZE} transactions"


async def test_reads_on_postgresql_run_outside_a_transaction_and_writes_inside_one() -> None:
    """`reading` costs no BEGIN and ROLLBACK (each read is its own statement-long transaction, as under READ
    COMMITTED each statement has its own snapshot anyway); `transaction` is still one unit of work."""
    name = await create_pg_database()
    db = Database(pg_url(name))
    xid = text("SELECT txid_current()")

    async def transactions_of_two_statements(conn: AsyncConnection) -> int:
        return len({(await conn.execute(xid)).scalar_one() for _ in range(2)})

    try:
        async with db.reading() as conn:
            assert await transactions_of_two_statements(conn) == 2
        async with db.transaction() as conn:
            assert await transactions_of_two_statements(conn) == 1
        async with db.reading() as conn:
            assert await transactions_of_two_statements(conn) == 2
        async with db.transaction() as conn:  # the pool's connection is back to transactions after a read
            assert await transactions_of_two_statements(conn) == 1
    finally:
        await db.dispose()
        await drop_pg_database(name)
