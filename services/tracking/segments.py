"""The segment of each visitor (SEG-1): the rules' `visitor.segment_changed` stored on the visitor row
(`visitors.segment_id`, `segment_name`, `segment_changed_at`), so that the live list and the visitor's detail
show it. Only a visitor of the event's account and site changes; the newest `at` wins (a late, redelivered or
duplicated event changes nothing)."""

import logging

from pydantic import ValidationError
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.events import Event, VisitorSegmentChanged
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.tracking.live import LiveBoard
from services.tracking.models import processed_events, visitors

log = logging.getLogger("floorwalker.tracking.segments")
SEGMENT_EVENTS = [VisitorSegmentChanged.TYPE]


async def set_segment(conn: AsyncConnection, account_id: str, changed: VisitorSegmentChanged) -> bool:
    """Store the event's segment on its visitor unless a newer one is there; True when it was stored."""
    statement = (
        update(visitors)
        .where(
            visitors.c.id == changed.visitor_id,
            visitors.c.account_id == account_id,
            visitors.c.site_id == changed.site_id,
            or_(visitors.c.segment_changed_at.is_(None), visitors.c.segment_changed_at < changed.at),
        )
        .values(segment_id=changed.segment_id, segment_name=changed.segment_name, segment_changed_at=changed.at)
    )
    return bool((await conn.execute(statement)).rowcount)


def segments_handler(runtime: ServiceRuntime, board: LiveBoard) -> EventHandler:
    async def handle(event: Event) -> None:
        try:
            changed = VisitorSegmentChanged.model_validate(event.payload)
        except ValidationError:
            log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
            return
        stored = False

        async def effect(conn: AsyncConnection, _: Event) -> None:
            nonlocal stored
            stored = await set_segment(conn, event.account_id, changed)

        if await handle_once(runtime.db, processed_events, event, effect) and stored:
            await board.refresh(changed.visitor_id)

    return handle
