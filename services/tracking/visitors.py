"""One visitor as operators see them (history across visits), identified contacts, and erasure."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import account_row, upsert_insert, utcnow
from services.common.errors import Forbidden, NotFound
from services.common.events import VisitorErased
from services.common.ids import new_id
from services.common.outbox import add_events
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking.api.schemas import IdentifyOut, IdentifyRequest, PageViewOut, VisitorDetail, VisitOut
from services.tracking.live import LiveBoard, arrival_out, contact_of, read_visitor_out
from services.tracking.models import contacts, outbox, page_views, products_viewed, searches, visitors, visits

VISITS_SHOWN = 20
ITEMS_SHOWN = 50


async def _visitor_row(session: AsyncConnection, account_id: str, visitor_id: str) -> Any:
    return await account_row(
        session, visitors, account_id, visitor_id, NotFound("No such visitor.", code="visitor_not_found")
    )


async def _visits_with_pages(session: AsyncConnection, visitor_ids: list[str], limit: int | None) -> list[VisitOut]:
    query = select(visits).where(visits.c.visitor_id.in_(visitor_ids)).order_by(visits.c.started_at.desc())
    rows = list((await session.execute(query.limit(limit) if limit else query)).mappings())
    pages: dict[str, list[PageViewOut]] = {row["id"]: [] for row in rows}
    if rows:
        views = await session.execute(
            select(page_views)
            .where(page_views.c.visit_id.in_(list(pages)))
            .order_by(page_views.c.viewed_at, page_views.c.id)
        )
        for view in views.mappings():
            pages[view["visit_id"]].append(
                PageViewOut(
                    page_id=view["page_key"],
                    url=view["url"],
                    title=view["title"],
                    section=view["section"],
                    viewed_at=view["viewed_at"],
                    time_spent_seconds=view["time_spent_seconds"],
                )
            )
    return [
        VisitOut(
            visit_id=row["id"],
            started_at=row["started_at"],
            last_activity_at=row["last_activity_at"],
            landing_url=row["landing_url"],
            referrer=row["referrer"],
            arrived_via=arrival_out(row),
            utm=row["utm"],
            page_count=row["page_count"],
            ip=row["ip"],
            location=row["location"],
            device=row["device"],
            pages=pages[row["id"]],
        )
        for row in rows
    ]


async def _items(
    session: AsyncConnection, table: Any, visitor_ids: list[str], limit: int | None
) -> list[dict[str, Any]]:
    query = select(table).where(table.c.visitor_id.in_(visitor_ids)).order_by(table.c.viewed_at.desc())
    return [dict(r) for r in (await session.execute(query.limit(limit) if limit else query)).mappings()]


async def visitor_detail(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> VisitorDetail:
    async with runtime.db.reading() as session:
        row = await _visitor_row(session, operator.account_id, visitor_id)
        history = await _visits_with_pages(session, [visitor_id], VISITS_SHOWN)
        products = await _items(session, products_viewed, [visitor_id], ITEMS_SHOWN)
        words = await _items(session, searches, [visitor_id], ITEMS_SHOWN)
        live = await read_visitor_out(session, row)
    return VisitorDetail(
        **live.model_dump(),
        is_robot=row["is_robot"],
        robot_reason=row["robot_reason"],
        visits=history,
        products=products,
        searches=words,
    )


async def identify(runtime: ServiceRuntime, board: LiveBoard, caller: Identity, body: IdentifyRequest) -> IdentifyOut:
    """Link the visitor to the contact with this user id (created on first sight; details updated)."""
    now = utcnow()
    details = {k: v for k, v in (("email", body.email), ("name", body.name), ("phone", body.phone)) if v}
    async with runtime.db.transaction() as session:
        statement = upsert_insert(session, contacts).values(
            id=new_id(),
            account_id=caller.account_id,
            external_id=body.user_id,
            verified=body.verified,
            created_at=now,
            updated_at=now,
            **details,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[contacts.c.account_id, contacts.c.external_id],
                set_={"verified": body.verified, "updated_at": now, **details},
            )
        )
        contact_id = await session.scalar(
            select(contacts.c.id).where(
                contacts.c.account_id == caller.account_id, contacts.c.external_id == body.user_id
            )
        )
        # The host page may identify its user before the first page view is stored: the visitor starts here.
        first = upsert_insert(session, visitors).values(
            id=caller.visitor_id,
            account_id=caller.account_id,
            site_id=caller.site_id,
            first_seen_at=now,
            last_seen_at=now,
            visit_count=0,
            pages_viewed=0,
            is_robot=bool(caller.robot),
            robot_reason=caller.robot,
            burst_pages=0,
        )
        await session.execute(first.on_conflict_do_nothing(index_elements=[visitors.c.id]))
        linked = await session.execute(
            update(visitors)
            .where(
                visitors.c.id == caller.visitor_id,
                visitors.c.account_id == caller.account_id,
                visitors.c.site_id == caller.site_id,
            )
            .values(contact_id=contact_id)
        )
        if linked.rowcount == 0:
            raise Forbidden("This visitor belongs to another site.", code="visitor_of_another_site")
    await board.refresh(caller.visitor_id or "")
    return IdentifyOut(contact_id=str(contact_id), verified=body.verified)


async def _export(session: AsyncConnection, visitor_rows: list[Any]) -> dict[str, Any]:
    ids = [row["id"] for row in visitor_rows]
    history = await _visits_with_pages(session, ids, None)
    return {
        "visitors": [_plain(row) for row in visitor_rows],
        "visits": [v.model_dump(mode="json") for v in history],
        "products": [_plain(r) for r in await _items(session, products_viewed, ids, None)],
        "searches": [_plain(r) for r in await _items(session, searches, ids, None)],
    }


def _plain(row: Any) -> dict[str, Any]:
    skip = {"account_id", "burst_started_at", "burst_pages"}
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(row).items() if k not in skip}


async def export_visitor(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> dict[str, Any]:
    async with runtime.db.reading() as session:
        row = await _visitor_row(session, operator.account_id, visitor_id)
        data = await _export(session, [row])
        contact = await contact_of(session, row)
    return {"contact": _plain(contact) if contact else None, **data}


async def _contact_row(session: AsyncConnection, account_id: str, contact_id: str) -> Any:
    return await account_row(
        session, contacts, account_id, contact_id, NotFound("No such contact.", code="contact_not_found")
    )


async def export_contact(runtime: ServiceRuntime, operator: Identity, contact_id: str) -> dict[str, Any]:
    async with runtime.db.reading() as session:
        contact = await _contact_row(session, operator.account_id, contact_id)
        rows = list((await session.execute(select(visitors).where(visitors.c.contact_id == contact_id))).mappings())
        data = await _export(session, rows)
    return {"contact": _plain(contact), **data}


async def _erase(session: AsyncConnection, account_id: str, visitor_ids: list[str]) -> None:
    for table in (products_viewed, searches, page_views):
        await session.execute(delete(table).where(table.c.visitor_id.in_(visitor_ids)))
    await session.execute(delete(visits).where(visits.c.visitor_id.in_(visitor_ids)))
    await session.execute(delete(visitors).where(visitors.c.id.in_(visitor_ids)))
    now = utcnow()
    await add_events(session, outbox, [(VisitorErased(visitor_id=v, erased_at=now), account_id) for v in visitor_ids])


async def delete_visitor(runtime: ServiceRuntime, board: LiveBoard, operator: Identity, visitor_id: str) -> list[str]:
    """Delete everything tracking keeps about the visitor; returns the ids erased (for the other services)."""
    async with runtime.db.transaction() as session:
        await _visitor_row(session, operator.account_id, visitor_id)
        await _erase(session, operator.account_id, [visitor_id])
    runtime.after_commit()
    await board.drop(operator.account_id, visitor_id)
    return [visitor_id]


async def delete_contact(runtime: ServiceRuntime, board: LiveBoard, operator: Identity, contact_id: str) -> list[str]:
    async with runtime.db.transaction() as session:
        await _contact_row(session, operator.account_id, contact_id)
        ids = list(await session.scalars(select(visitors.c.id).where(visitors.c.contact_id == contact_id)))
        await _erase(session, operator.account_id, ids)
        await session.execute(delete(contacts).where(contacts.c.id == contact_id))
    runtime.after_commit()
    for visitor_id in ids:
        await board.drop(operator.account_id, visitor_id)
    return ids
