"""One visitor as operators see them (history across visits), identified contacts, and erasure."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import Forbidden, NotFound
from services.common.events import VisitorErased
from services.common.ids import new_id
from services.common.outbox import add_events
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking import repository
from services.tracking.api.schemas import IdentifyOut, IdentifyRequest, PageViewOut, VisitorDetail, VisitOut
from services.tracking.live import LiveBoard, arrival_out, contact_of, read_visitor_out
from services.tracking.models import outbox, products_viewed, searches
from services.tracking.sites import check_site

VISITS_SHOWN = 20
ITEMS_SHOWN = 50


async def _visitor_row(conn: AsyncConnection, account_id: str, visitor_id: str) -> Any:
    row = await repository.account_visitor(conn, account_id, visitor_id)
    if row is None:
        raise NotFound("No such visitor.", code="visitor_not_found")
    return row


async def _contact_row(conn: AsyncConnection, account_id: str, contact_id: str) -> Any:
    row = await repository.account_contact(conn, account_id, contact_id)
    if row is None:
        raise NotFound("No such contact.", code="contact_not_found")
    return row


async def _visits_with_pages(conn: AsyncConnection, visitor_ids: list[str], limit: int | None) -> list[VisitOut]:
    rows = await repository.visits_of(conn, visitor_ids, limit)
    pages: dict[str, list[PageViewOut]] = {row["id"]: [] for row in rows}
    for view in await repository.pages_of_visits(conn, list(pages)):
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


async def visitor_detail(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> VisitorDetail:
    async with runtime.db.reading() as conn:
        row = await _visitor_row(conn, operator.account_id, visitor_id)
        history = await _visits_with_pages(conn, [visitor_id], VISITS_SHOWN)
        products = await repository.items_of(conn, products_viewed, [visitor_id], ITEMS_SHOWN)
        words = await repository.items_of(conn, searches, [visitor_id], ITEMS_SHOWN)
        live = await read_visitor_out(conn, row)
    return VisitorDetail.model_validate(
        {
            **live.model_dump(),
            "is_robot": row["is_robot"],
            "robot_reason": row["robot_reason"],
            "visits": history,
            "products": [dict(p) for p in products],
            "searches": [dict(s) for s in words],
        }
    )


async def identify(runtime: ServiceRuntime, board: LiveBoard, caller: Identity, body: IdentifyRequest) -> IdentifyOut:
    """Link the visitor to the contact with this user id (created on first sight; details updated)."""
    now = utcnow()
    details = {k: v for k, v in (("email", body.email), ("name", body.name), ("phone", body.phone)) if v}
    contact = {
        "id": new_id(),
        "account_id": caller.account_id,
        "external_id": body.user_id,
        "verified": body.verified,
        "created_at": now,
        "updated_at": now,
        **details,
    }
    # The host page may identify its user before the first page view is stored: the visitor starts here.
    visitor = {
        "id": caller.visitor_id,
        "account_id": caller.account_id,
        "site_id": caller.site_id,
        "first_seen_at": now,
        "last_seen_at": now,
        "visit_count": 0,
        "pages_viewed": 0,
        "is_robot": bool(caller.robot),
        "robot_reason": caller.robot,
        "burst_pages": 0,
    }
    async with runtime.db.transaction() as conn:
        await check_site(conn, caller, caller.site_id or "")
        contact_id = await repository.save_contact(
            conn, contact, {"verified": body.verified, "updated_at": now, **details}
        )
        if not await repository.link_contact(conn, visitor, contact_id):
            raise Forbidden("This visitor belongs to another site.", code="visitor_of_another_site")
    await board.refresh(caller.visitor_id or "")
    return IdentifyOut(contact_id=str(contact_id), verified=body.verified)


async def _export(conn: AsyncConnection, visitor_rows: list[Any]) -> dict[str, Any]:
    ids = [row["id"] for row in visitor_rows]
    history = await _visits_with_pages(conn, ids, None)
    return {
        "visitors": [_plain(row) for row in visitor_rows],
        "visits": [v.model_dump(mode="json") for v in history],
        "products": [_plain(r) for r in await repository.items_of(conn, products_viewed, ids, None)],
        "searches": [_plain(r) for r in await repository.items_of(conn, searches, ids, None)],
    }


def _plain(row: Any) -> dict[str, Any]:
    skip = {"account_id", "burst_started_at", "burst_pages"}
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(row).items() if k not in skip}


async def export_visitor(runtime: ServiceRuntime, operator: Identity, visitor_id: str) -> dict[str, Any]:
    async with runtime.db.reading() as conn:
        row = await _visitor_row(conn, operator.account_id, visitor_id)
        data = await _export(conn, [row])
        contact = await contact_of(conn, row)
    return {"contact": _plain(contact) if contact else None, **data}


async def export_contact(runtime: ServiceRuntime, operator: Identity, contact_id: str) -> dict[str, Any]:
    async with runtime.db.reading() as conn:
        contact = await _contact_row(conn, operator.account_id, contact_id)
        rows = await repository.visitors_of_contact(conn, contact_id)
        data = await _export(conn, rows)
    return {"contact": _plain(contact), **data}


async def _erase(conn: AsyncConnection, account_id: str, visitor_ids: list[str]) -> None:
    await repository.erase_visitors(conn, visitor_ids)
    now = utcnow()
    await add_events(conn, outbox, [(VisitorErased(visitor_id=v, erased_at=now), account_id) for v in visitor_ids])


async def delete_visitor(runtime: ServiceRuntime, board: LiveBoard, operator: Identity, visitor_id: str) -> list[str]:
    """Delete everything tracking keeps about the visitor; returns the ids erased (for the other services)."""
    async with runtime.db.transaction() as conn:
        await _visitor_row(conn, operator.account_id, visitor_id)
        await _erase(conn, operator.account_id, [visitor_id])
    runtime.after_commit()
    await board.drop(operator.account_id, visitor_id)
    return [visitor_id]


async def delete_contact(runtime: ServiceRuntime, board: LiveBoard, operator: Identity, contact_id: str) -> list[str]:
    async with runtime.db.transaction() as conn:
        await _contact_row(conn, operator.account_id, contact_id)
        ids = [row["id"] for row in await repository.visitors_of_contact(conn, contact_id)]
        await _erase(conn, operator.account_id, ids)
        await repository.delete_contact(conn, contact_id)
    runtime.after_commit()
    for visitor_id in ids:
        await board.drop(operator.account_id, visitor_id)
    return ids
