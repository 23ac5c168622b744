"""Every query of the tracking service: Core statements on the caller's connection (`conn`).

The callers own the transaction (`Database.transaction()` / `reading()`); nothing here commits. Grouped by
what they read or write: site settings, the ingest batch, the chat state, visitors as operators read them,
contacts and erasure, retention. The sites read model's queries are `services/common/sites.py`'s.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Select, String, Table, and_, bindparam, case, delete, func, select, tuple_
from sqlalchemy import insert as insert_into
from sqlalchemy import update as update_of
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import insert_rows, upsert_insert
from services.tracking.models import (
    contacts,
    page_views,
    products_viewed,
    searches,
    site_settings,
    visitors,
    visits,
)

# --- site settings (sections, product and search patterns, retention) ------------------------------------


async def settings_row(conn: AsyncConnection, site_id: str) -> RowMapping | None:
    query = select(site_settings).where(site_settings.c.site_id == site_id)
    return (await conn.execute(query)).mappings().first()


async def save_settings(conn: AsyncConnection, site_id: str, values: dict[str, Any]) -> None:
    statement = upsert_insert(conn, site_settings).values(site_id=site_id, **values)
    await conn.execute(statement.on_conflict_do_update(index_elements=[site_settings.c.site_id], set_=values))


async def delete_settings(conn: AsyncConnection, site_id: str) -> None:
    await conn.execute(delete(site_settings).where(site_settings.c.site_id == site_id))


# --- the ingest batch ------------------------------------------------------------------------------------


async def create_missing_visitors(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """New visitor rows; those that exist already are left as they are."""
    created = upsert_insert(conn, visitors).on_conflict_do_nothing(index_elements=[visitors.c.id])
    await conn.execute(created, rows)  # executemany: one cached statement, whatever the count


async def lock_visitors(conn: AsyncConnection, visitor_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The visitors' rows, locked in id order on PostgreSQL (two replicas writing one visitor take turns)."""
    query = select(visitors).where(visitors.c.id.in_(sorted(visitor_ids))).order_by(visitors.c.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row["id"]: dict(row) for row in (await conn.execute(query)).mappings()}


async def visits_by_id(conn: AsyncConnection, visit_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(visit_ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(visits).where(visits.c.id.in_(wanted)))
    return {row["id"]: dict(row) for row in rows.mappings()}


def known_pages_query(dialect: str, keys: list[tuple[str, str]]) -> tuple[Select[Any], dict[str, Any]]:
    """The page views stored before among (visitor, page id) pairs, looked up pair by pair in the unique
    (visitor_id, page_key) index. Two IN lists (visitors, page ids) made PostgreSQL probe every visitor
    with every page id: 0.9 s for a batch of 2,000 page views once the table had 400,000 rows."""
    columns = (page_views.c.visitor_id, page_views.c.page_key, page_views.c.time_spent_seconds)
    if dialect != "postgresql":  # SQLite walks the index for a row-value IN
        pairs = tuple_(page_views.c.visitor_id, page_views.c.page_key).in_(keys)
        return select(*columns).where(pairs), {}
    wanted = (
        func.unnest(bindparam("b_visitors", type_=ARRAY(String)), bindparam("b_keys", type_=ARRAY(String)))
        .table_valued("visitor_id", "page_key")
        .render_derived(name="wanted")
    )
    on = and_(page_views.c.visitor_id == wanted.c.visitor_id, page_views.c.page_key == wanted.c.page_key)
    return select(*columns).join_from(page_views, wanted, on), {
        "b_visitors": [v for v, _ in keys],
        "b_keys": [k for _, k in keys],
    }


async def known_pages(conn: AsyncConnection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], float | None]:
    """{(visitor, page id): time spent} of the page views among `keys` stored before."""
    if not keys:
        return {}
    found = await conn.execute(*known_pages_query(conn.dialect.name, sorted(keys)))
    return {(visitor_id, key): spent for visitor_id, key, spent in found}


async def insert_visits(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert_into(visits), rows)


async def update_visits(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Rows of `b_id, b_last, b_count`: a visit's last activity and page count."""
    if not rows:
        return
    statement = (
        update_of(visits)
        .where(visits.c.id == bindparam("b_id"))
        .values(last_activity_at=bindparam("b_last"), page_count=bindparam("b_count"))
    )
    await conn.execute(statement, rows)


async def insert_page_rows(
    conn: AsyncConnection, pages: list[dict[str, Any]], products: list[dict[str, Any]], found: list[dict[str, Any]]
) -> None:
    """New page views, products viewed and searches (COPY on PostgreSQL)."""
    await insert_rows(conn, page_views, pages)
    await insert_rows(conn, products_viewed, products)
    await insert_rows(conn, searches, found)


async def raise_time_spent(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Rows of `b_visitor, b_key, b_spent`: a stored page view's time spent, if the new one is longer."""
    if not rows:
        return
    spent = func.coalesce(page_views.c.time_spent_seconds, 0.0)
    statement = (
        update_of(page_views)
        .where(page_views.c.visitor_id == bindparam("b_visitor"), page_views.c.page_key == bindparam("b_key"))
        .values(
            time_spent_seconds=case(
                (spent < bindparam("b_spent"), bindparam("b_spent")), else_=page_views.c.time_spent_seconds
            )
        )
    )
    await conn.execute(statement, rows)


async def update_visitors(conn: AsyncConnection, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Rows of `b_id` and `b_<field>` for each of `fields`."""
    if not rows:
        return
    statement = (
        update_of(visitors)
        .where(visitors.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in fields})
    )
    await conn.execute(statement, rows)


# --- the chat state of visitors ----------------------------------------------------------------------------


async def chat_started(conn: AsyncConnection, visitor_id: str, conversation_id: str) -> None:
    await conn.execute(
        update_of(visitors)
        .where(visitors.c.id == visitor_id)
        .values(chat_state="waiting", chat_conversation_id=conversation_id)
    )


async def set_chat_state(conn: AsyncConnection, conversation_id: str, state: str | None) -> None:
    await conn.execute(
        update_of(visitors).where(visitors.c.chat_conversation_id == conversation_id).values(chat_state=state)
    )


async def visitors_in_conversation(conn: AsyncConnection, conversation_id: str) -> list[str]:
    ids = await conn.scalars(select(visitors.c.id).where(visitors.c.chat_conversation_id == conversation_id))
    return list(ids)


# --- visitors as operators read them ---------------------------------------------------------------------


async def visitor_by_id(conn: AsyncConnection, visitor_id: str) -> RowMapping | None:
    return (await conn.execute(select(visitors).where(visitors.c.id == visitor_id))).mappings().first()


async def account_visitor(conn: AsyncConnection, account_id: str, visitor_id: str) -> RowMapping | None:
    query = select(visitors).where(visitors.c.id == visitor_id, visitors.c.account_id == account_id)
    return (await conn.execute(query)).mappings().first()


async def visit_by_id(conn: AsyncConnection, visit_id: str) -> RowMapping | None:
    return (await conn.execute(select(visits).where(visits.c.id == visit_id))).mappings().first()


async def contacts_by_id(conn: AsyncConnection, ids: set[str]) -> dict[str, RowMapping]:
    if not ids:
        return {}
    rows = await conn.execute(select(contacts).where(contacts.c.id.in_(sorted(ids))))
    return {row["id"]: row for row in rows.mappings()}


async def recent_visitors(conn: AsyncConnection, since: datetime, after: str, limit: int) -> list[RowMapping]:
    """Visitors (not robots) active at `since` or later, in id order from after `after`: a page of them."""
    query = (
        select(visitors)
        .where(visitors.c.last_seen_at >= since, visitors.c.is_robot.is_(False), visitors.c.id > after)
        .order_by(visitors.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def visits_of(conn: AsyncConnection, visitor_ids: list[str], limit: int | None) -> list[RowMapping]:
    """The visitors' visits, most recent first."""
    query = select(visits).where(visits.c.visitor_id.in_(visitor_ids)).order_by(visits.c.started_at.desc())
    return list((await conn.execute(query.limit(limit) if limit else query)).mappings())


async def pages_of_visits(conn: AsyncConnection, visit_ids: list[str]) -> list[RowMapping]:
    """The page views of these visits, in the order they were viewed."""
    if not visit_ids:
        return []
    query = (
        select(page_views).where(page_views.c.visit_id.in_(visit_ids)).order_by(page_views.c.viewed_at, page_views.c.id)
    )
    return list((await conn.execute(query)).mappings())


async def items_of(conn: AsyncConnection, table: Table, visitor_ids: list[str], limit: int | None) -> list[RowMapping]:
    """Products viewed or searches of the visitors, most recent first."""
    query = select(table).where(table.c.visitor_id.in_(visitor_ids)).order_by(table.c.viewed_at.desc())
    return list((await conn.execute(query.limit(limit) if limit else query)).mappings())


async def visitors_of_contact(conn: AsyncConnection, contact_id: str) -> list[RowMapping]:
    return list((await conn.execute(select(visitors).where(visitors.c.contact_id == contact_id))).mappings())


# --- contacts and erasure ----------------------------------------------------------------------------------


async def account_contact(conn: AsyncConnection, account_id: str, contact_id: str) -> RowMapping | None:
    query = select(contacts).where(contacts.c.id == contact_id, contacts.c.account_id == account_id)
    return (await conn.execute(query)).mappings().first()


async def save_contact(conn: AsyncConnection, row: dict[str, Any], changes: dict[str, Any]) -> str:
    """The contact of (account, external id): created from `row`, or updated with `changes`; returns its id."""
    statement = upsert_insert(conn, contacts).values(**row)
    await conn.execute(
        statement.on_conflict_do_update(index_elements=[contacts.c.account_id, contacts.c.external_id], set_=changes)
    )
    query = select(contacts.c.id).where(
        contacts.c.account_id == row["account_id"], contacts.c.external_id == row["external_id"]
    )
    return str(await conn.scalar(query))


async def link_contact(conn: AsyncConnection, visitor: dict[str, Any], contact_id: str) -> bool:
    """Create the visitor row if it is not there (`visitor`: a new row), then link it to the contact when it
    is of the same account and site. False when the visitor id belongs to another site."""
    first = upsert_insert(conn, visitors).values(**visitor)
    await conn.execute(first.on_conflict_do_nothing(index_elements=[visitors.c.id]))
    linked = await conn.execute(
        update_of(visitors)
        .where(
            visitors.c.id == visitor["id"],
            visitors.c.account_id == visitor["account_id"],
            visitors.c.site_id == visitor["site_id"],
        )
        .values(contact_id=contact_id)
    )
    return bool(linked.rowcount)


async def erase_visitors(conn: AsyncConnection, visitor_ids: list[str]) -> None:
    for table in (products_viewed, searches, page_views):
        await conn.execute(delete(table).where(table.c.visitor_id.in_(visitor_ids)))
    await conn.execute(delete(visits).where(visits.c.visitor_id.in_(visitor_ids)))
    await conn.execute(delete(visitors).where(visitors.c.id.in_(visitor_ids)))


async def delete_contact(conn: AsyncConnection, contact_id: str) -> None:
    await conn.execute(delete(contacts).where(contacts.c.id == contact_id))


# --- retention ---------------------------------------------------------------------------------------------


async def retention_rules(conn: AsyncConnection) -> list[tuple[str, int]]:
    """(site id, retention days) of every site that keeps its data for a limited time."""
    query = select(site_settings.c.site_id, site_settings.c.retention_days).where(
        site_settings.c.retention_days.is_not(None)
    )
    return [(site_id, days) for site_id, days in await conn.execute(query)]


async def delete_older_than(conn: AsyncConnection, site_id: str, cutoff: datetime) -> int:
    """Page views, products, searches viewed before `cutoff` and visits inactive since; returns the visits."""
    for table in (page_views, products_viewed, searches):
        await conn.execute(delete(table).where(table.c.site_id == site_id, table.c.viewed_at < cutoff))
    done = await conn.execute(delete(visits).where(visits.c.site_id == site_id, visits.c.last_activity_at < cutoff))
    return int(done.rowcount)
