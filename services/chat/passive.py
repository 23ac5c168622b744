"""Passive mode (ENG-1), chat's part: where each of the account's queues wants its chat button (`queues.sections`:
names of the site's sections, or URL prefixes). The gateway joins them with the site's section patterns into the
widget session's `button_paths` (`services/gateway/passive.py`)."""

from sqlalchemy import select

from services.chat.models import queues
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


async def queue_sections(runtime: ServiceRuntime, visitor: Identity) -> list[list[str]]:
    """Each queue's sections, of the visitor's account (by queue priority, then name); none: no queues."""
    query = (
        select(queues.c.sections)
        .where(queues.c.account_id == visitor.account_id)
        .order_by(queues.c.priority, queues.c.name)
    )
    async with runtime.db.reading() as conn:
        return [list(sections or []) for sections in await conn.scalars(query)]
