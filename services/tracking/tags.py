"""Tags on visitors: a rule's `tag_visitor` action (`visitor.tagged`, from the rules service) stored on the
visitor row (`visitors.tags`, sorted, at most `MAX_TAGS`), so that the live list and the visitor's detail show
them. Only a visitor of the event's account and site is tagged; a redelivered event changes nothing (each
event id once, and a tag already there stays once)."""

import logging

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import EventHandler
from services.common.events import Event, VisitorTagged
from services.common.outbox import handle_once
from services.common.service import ServiceRuntime
from services.tracking.live import LiveBoard
from services.tracking.models import processed_events, visitors

log = logging.getLogger("floorwalker.tracking.tags")
MAX_TAGS = 50
TAG_EVENTS = [VisitorTagged.TYPE]


def merged(current: list[str] | None, added: list[str]) -> list[str]:
    """The visitor's tags with `added`: sorted, each once, the first `MAX_TAGS`."""
    return sorted(set(current or []) | set(added))[:MAX_TAGS]


async def tag_visitor(conn: AsyncConnection, account_id: str, tagged: VisitorTagged) -> bool:
    """Add the event's tags to its visitor (of its account and site); False when there is no such visitor
    or nothing changed."""
    where = (visitors.c.id == tagged.visitor_id, visitors.c.account_id == account_id)
    current = (await conn.execute(select(visitors.c.tags, visitors.c.site_id).where(*where))).first()
    if current is None or current.site_id != tagged.site_id:
        return False
    tags = merged(current.tags, tagged.tags)
    if tags == sorted(current.tags or []):
        return False
    await conn.execute(update(visitors).where(*where).values(tags=tags))
    return True


def tags_handler(runtime: ServiceRuntime, board: LiveBoard) -> EventHandler:
    async def handle(event: Event) -> None:
        try:
            tagged = VisitorTagged.model_validate(event.payload)
        except ValidationError:
            log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
            return
        changed = False

        async def effect(conn: AsyncConnection, _: Event) -> None:
            nonlocal changed
            changed = await tag_visitor(conn, event.account_id, tagged)

        if await handle_once(runtime.db, processed_events, event, effect) and changed:
            await board.refresh(tagged.visitor_id)

    return handle
