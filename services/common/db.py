"""The async database of one service: engine, sessions and one transaction per unit of work.

SQLite (embedded) runs in WAL mode (readers never wait for the writer) with a busy timeout: a writer waits
up to `BUSY_TIMEOUT_SECONDS` for the one write lock. Transactions are short and hold nothing across an
unrelated await, and none may be cancelled half way: a task cancelled inside an aiosqlite transaction can
leave its connection checked out with the write lock held (the sockets finish a frame under way for that
reason: `gateway.sockets`). `write_problem` is what `/readyz` asks: can this database take a write now?
"""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, RowMapping, Table, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


BUSY_TIMEOUT_SECONDS = 10.0
POOL_SIZE = 20  # PostgreSQL connections per process, at most (each kept once opened)


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000:.0f}")
    cursor.close()


def _drop_closed(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry, __: Any) -> None:
    """At checkout, a connection the server has closed (restart, idle timeout) is replaced by a new one."""
    raw = getattr(dbapi_connection, "_connection", None)  # asyncpg's connection inside SQLAlchemy's adapter
    if raw is not None and raw.is_closed():
        raise DisconnectionError("the database closed this connection")


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS}
        else:
            # No `pool_pre_ping`: with asyncpg it costs three round trips (BEGIN, ping, ROLLBACK) per checkout,
            # the most expensive part of a chat message. A connection the server closed is dropped at
            # checkout instead (`_drop_closed`, no round trip); one cut without notice fails its first use,
            # which makes SQLAlchemy discard the pool's connections.
            # No overflow: an overflow connection is closed when it comes back, so a service that fell behind
            # opened a new one (a new server process, statements prepared again) for most of its transactions,
            # and fell further behind (349 new connections in 20 s of bench/chat_latency.py on a busy
            # machine). Past `POOL_SIZE` transactions at once, the next ones wait for a connection instead.
            kwargs.update(pool_size=POOL_SIZE, max_overflow=0)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # Reads outside a transaction on PostgreSQL: under READ COMMITTED each statement takes its own snapshot
        # anyway, so the BEGIN and ROLLBACK around a read (two round trips, a tenth of the chat service's CPU
        # under load) bought nothing. SQLite keeps its transaction (one snapshot for the reads of a block).
        self._reader: AsyncEngine = self.engine
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine.sync_engine, "checkout", _drop_closed)
            self._reader = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One unit of work: commits when the block ends, rolls back when it raises.

        A Core connection, not an ORM session: all queries are Core statements, and the session's
        bookkeeping was most of the CPU of a chat message.
        """
        async with self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """Reads only (what it writes is rolled back on SQLite, committed statement by statement on PostgreSQL:
        write in `transaction`)."""
        async with self._reader.connect() as connection:
            yield connection

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def write_problem(self, within: float) -> str | None:
        """Why this database cannot take a write within `within` seconds, or None when it can.

        SQLite: takes the write lock (`BEGIN IMMEDIATE`) and lets it go, on a connection of its own (in a
        thread, with `within` as its busy timeout: nothing to cancel). PostgreSQL: a transaction that is not read-only
        and gets a transaction id (a standby refuses), under statement and lock timeouts.
        """
        try:
            if self.is_sqlite:
                await asyncio.to_thread(_sqlite_write_probe, self.engine.url.database or "", within)
            else:
                async with asyncio.timeout(within + 1), self.engine.begin() as connection:  # the server's first
                    milliseconds = max(1, int(within * 1000))
                    await connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
                    await connection.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
                    probe = text("SELECT current_setting('transaction_read_only'), txid_current()")
                    read_only, _ = (await connection.execute(probe)).one()
                    if read_only == "on":
                        return "the database is read-only"
        except TimeoutError:
            return f"no write within {within:g} s"
        except Exception as exc:  # readiness reports, it never raises
            return f"{type(exc).__name__}: {exc}"[:300]
        return None

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_write_probe(path: str, timeout: float) -> None:
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def upsert_insert(connection: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, on PostgreSQL and on SQLite alike."""
    return postgresql.insert(table) if connection.dialect.name == "postgresql" else sqlite.insert(table)


async def account_row(
    conn: AsyncConnection, table: Table, account_id: str, row_id: str, missing: Exception
) -> RowMapping:
    """The row of `table` with this id in this account; raises `missing` when there is none (a row of
    another account is not there either)."""
    query = select(table).where(table.c.id == row_id, table.c.account_id == account_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise missing
    return row


_copy_columns: dict[Table, list[tuple[str, Any]]] = {}  # each column with its bind processor


async def insert_rows(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many new rows (each a dict of every column; a missing one is NULL, not its default).

    PostgreSQL gets them by COPY on the connection's own transaction: a fraction of the server's and our
    CPU per row of an executemany INSERT (no statement per row, no SQLAlchemy parameter processing).
    SQLite gets an executemany INSERT. A row that breaks a constraint fails the whole call.
    """
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "postgresql":
        await connection.execute(table.insert(), rows)
        return
    columns = _copy_columns.get(table)
    if columns is None:
        columns = _copy_columns[table] = [(c.name, c.type.bind_processor(dialect)) for c in table.columns]
    names = [name for name, _ in columns]
    # Each row's values by `map` (in C), then the bind processors of the few columns that have one: a generator
    # per row over every column was most of our CPU per row.
    processed = [(index, process) for index, (_, process) in enumerate(columns) if process is not None]
    records: list[Any] = []
    for row in rows:
        values = list(map(row.get, names))
        for index, process in processed:
            values[index] = process(values[index])
        records.append(tuple(values))
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=names, schema_name=table.schema
    )
