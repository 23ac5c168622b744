"""The rules' queries: Core statements on the caller's connection; the callers own the transaction."""

from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.rules.models import rules


async def site_rules(conn: AsyncConnection, site_id: str) -> list[RowMapping]:
    """A site's rules in order."""
    query = select(rules).where(rules.c.site_id == site_id).order_by(rules.c.position, rules.c.id)
    return list((await conn.execute(query)).mappings())


async def site_rule_keys(conn: AsyncConnection, site_id: str) -> list[tuple[str, int, int]]:
    """A site's rules in order, as (id, version, position): what says whether a compiled one is current."""
    query = (
        select(rules.c.id, rules.c.version, rules.c.position)
        .where(rules.c.site_id == site_id)
        .order_by(rules.c.position, rules.c.id)
    )
    return [(rule_id, version, position) for rule_id, version, position in await conn.execute(query)]


async def rules_by_id(conn: AsyncConnection, rule_ids: list[str]) -> list[RowMapping]:
    return list((await conn.execute(select(rules).where(rules.c.id.in_(rule_ids)))).mappings())


async def count_site_rules(conn: AsyncConnection, site_id: str) -> int:
    count: int = await conn.scalar(select(func.count()).select_from(rules).where(rules.c.site_id == site_id)) or 0
    return count


async def account_rule(conn: AsyncConnection, account_id: str, rule_id: str) -> RowMapping | None:
    """The rule with this id in this account (a rule of another account is not there)."""
    query = select(rules).where(rules.c.id == rule_id, rules.c.account_id == account_id)
    return (await conn.execute(query)).mappings().first()


async def insert_rule(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(rules).values(**values))


async def update_rule(conn: AsyncConnection, rule_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(rules).where(rules.c.id == rule_id).values(**values))


async def delete_rule(conn: AsyncConnection, rule_id: str) -> None:
    await conn.execute(delete(rules).where(rules.c.id == rule_id))


async def set_positions(conn: AsyncConnection, ordered: list[RowMapping]) -> None:
    """Number the rules 0, 1, ... in this order, writing only those whose position changes."""
    for position, row in enumerate(ordered):
        if row["position"] != position:
            await conn.execute(update(rules).where(rules.c.id == row["id"]).values(position=position))


async def delete_site_rules(conn: AsyncConnection, site_id: str) -> None:
    """A deleted site's rules (`site.deleted`)."""
    await conn.execute(delete(rules).where(rules.c.site_id == site_id))
