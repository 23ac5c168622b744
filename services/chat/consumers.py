"""Events the chat service consumes (consumer group `chat`), each applied at most once.

`visitor.erased` (tracking deleted a visitor on request): delete the visitor's conversations,
messages and attachments (their files in the store too) in the event's account, then tell the account's operators (`conversation.removed` frames), so
that the conversations leave the consoles' lists at once.
"""

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import contacts
from services.chat import repository as repo
from services.chat.attachments.service import erase_visitor_files
from services.chat.attachments.storage import AttachmentStore
from services.chat.attachments.storage import from_settings as attachment_store
from services.chat.models import processed
from services.chat.sites import SITE_EVENTS, SITES
from services.common.bus import BatchEventHandler
from services.common.events import Event, VisitorErased, payloads
from services.common.outbox import handle_batch_once
from services.common.service import Consumer, ServiceRuntime

log = logging.getLogger("floorwalker.chat")


class ForgetErasedVisitors(BatchEventHandler):
    def __init__(self, runtime: ServiceRuntime, store: AttachmentStore | None = None) -> None:
        self.runtime = runtime
        self.store = store or attachment_store(runtime.settings)  # the same folder as the app's (CHAT-10)

    async def handle_batch(self, events: Sequence[Event]) -> None:
        erased = payloads(events, VisitorErased, log)
        if not erased:
            return

        removed: list[tuple[str, str]] = []  # (account, conversation)

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            removed.clear()  # a failed batch is handled again
            for event in new:
                visitor_id = erased[event.id].visitor_id
                await erase_visitor_files(conn, self.store, event.account_id, visitor_id)
                deleted = await repo.erase_visitor(conn, event.account_id, visitor_id)
                await contacts.forget_visitor(conn, event.account_id, visitor_id)  # CHAT-8: link, answers
                if deleted:
                    log.info("erased %d conversations of visitor %s", len(deleted), visitor_id)
                removed.extend((event.account_id, conversation_id) for conversation_id in deleted)

        await handle_batch_once(self.runtime.db, processed, [e for e in events if e.id in erased], effect)
        for account_id, conversation_id in removed:
            frame = {"type": "conversation.removed", "conversation_id": conversation_id}
            await self.runtime.bus.publish(f"account:{account_id}", frame)


CONSUMERS = [
    Consumer([VisitorErased.TYPE], ForgetErasedVisitors),
    Consumer(list(SITE_EVENTS), SITES.handler),  # chat's read model of the sites (`sites.py`)
]
