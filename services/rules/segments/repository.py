"""The segments' queries: Core statements on the caller's connection; the callers own the transaction."""

from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.rules.models import segment_books, segments


async def account_segments(conn: AsyncConnection, account_id: str) -> list[RowMapping]:
    """An account's segments in order."""
    query = select(segments).where(segments.c.account_id == account_id).order_by(segments.c.position, segments.c.id)
    return list((await conn.execute(query)).mappings())


async def count_segments(conn: AsyncConnection, account_id: str) -> int:
    query = select(func.count()).select_from(segments).where(segments.c.account_id == account_id)
    count: int = await conn.scalar(query) or 0
    return count


async def account_segment(conn: AsyncConnection, account_id: str, segment_id: str) -> RowMapping | None:
    """The segment with this id in this account (another account's is not there)."""
    query = select(segments).where(segments.c.id == segment_id, segments.c.account_id == account_id)
    return (await conn.execute(query)).mappings().first()


async def has_book(conn: AsyncConnection, account_id: str) -> bool:
    found = await conn.scalar(select(segment_books.c.account_id).where(segment_books.c.account_id == account_id))
    return found is not None


async def open_book(conn: AsyncConnection, account_id: str) -> bool:
    """The account's segment book, made if missing; True when this call made it (its defaults are to be made)."""
    statement = (
        upsert_insert(conn, segment_books)
        .values(account_id=account_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    return bool((await conn.execute(statement)).rowcount)


async def lock_book(conn: AsyncConnection, account_id: str) -> None:
    """Hold the account's segments for this transaction (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            select(segment_books.c.account_id).where(segment_books.c.account_id == account_id).with_for_update()
        )


async def insert_segment(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(segments).values(**values))


async def update_segment(conn: AsyncConnection, segment_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(segments).where(segments.c.id == segment_id).values(**values))


async def delete_segment(conn: AsyncConnection, segment_id: str) -> None:
    await conn.execute(delete(segments).where(segments.c.id == segment_id))


async def set_positions(conn: AsyncConnection, ordered: list[RowMapping]) -> None:
    """Number the segments 0, 1, ... in this order, writing only those whose position changes."""
    for position, row in enumerate(ordered):
        if row["position"] != position:
            await conn.execute(update(segments).where(segments.c.id == row["id"]).values(position=position))
