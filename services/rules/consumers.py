"""Events the rules service consumes (consumer group `rules`), each applied at most once.

The page views read together are applied in one transaction (in stream order: one statement for the page views
between two erasures); once it is committed the new ones go to the live rules (`live.py`), one call per site for
the page views of the read (so one look at the site's books serves them all) with the read's site events and exit
intents, as do the invitations closed and the chats started or closed. Chat's
`operator.presence_changed` is kept in the presence read model (`presence.py`) and re-evaluates the account's
live visitors.
"""

import logging
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler
from services.common.events import (
    ConversationClosed,
    ConversationStarted,
    Event,
    InvitationClosed,
    OperatorPresenceChanged,
    PageView,
    PageviewRecorded,
    PageviewsRecorded,
    SiteEventSeen,
    VisitorErased,
    payloads,
)
from services.common.outbox import handle_batch_once
from services.common.service import Consumer, ServiceRuntime
from services.rules.live import LiveRules
from services.rules.models import processed
from services.rules.presence import record_presence
from services.rules.routing import request_route
from services.rules.sites import SITE_EVENTS, SITES
from services.rules.visitor_stats import count_pageviews, forget_visitor

log = logging.getLogger("floorwalker.rules")


class CountPageviews(BatchEventHandler):
    """Page views counted per visitor; an erased visitor's counts are deleted."""

    def __init__(self, runtime: ServiceRuntime, live: LiveRules | None = None) -> None:
        self.runtime = runtime
        self.live = live

    async def handle_batch(self, events: Sequence[Event]) -> None:
        views: dict[str, list[PageviewRecorded | PageView]] = {}
        seen: dict[str, list[SiteEventSeen]] = {}  # event id: its site events and exit intents
        erased: dict[str, str] = {}  # event id: visitor id
        for event in events:
            try:
                if event.type == VisitorErased.TYPE:
                    erased[event.id] = VisitorErased.model_validate(event.payload).visitor_id
                elif event.type == PageviewsRecorded.TYPE:
                    recorded = PageviewsRecorded.model_validate(event.payload)
                    views[event.id] = list(recorded.page_views)
                    if recorded.site_events:
                        seen[event.id] = recorded.site_events
                else:
                    views[event.id] = [PageviewRecorded.model_validate(event.payload)]
            except ValidationError:
                # Retrying cannot fix a malformed event; dropping it keeps the stream (and, embedded, the
                # producer's outbox) moving.
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
        if not views and not erased:
            return

        applied: list[Event] = []

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            applied[:] = new
            pending: dict[str, list[PageviewRecorded | PageView]] = {}  # by account, since the last erasure

            async def count() -> None:
                for account_id, seen in pending.items():
                    await count_pageviews(conn, account_id, seen)
                pending.clear()

            for event in new:
                if event.id in erased:
                    await count()
                    await forget_visitor(conn, event.account_id, erased[event.id])
                else:
                    pending.setdefault(event.account_id, []).extend(views[event.id])
            await count()

        known = [e for e in events if e.id in views or e.id in erased]
        await handle_batch_once(self.runtime.db, processed, known, effect)
        if self.live is not None:
            try:
                await self._go_live(applied, views, seen, erased)
            except Exception:  # the counts are committed; the next page view or timer evaluates again
                log.warning("evaluating the live rules failed", exc_info=True)

    async def _go_live(
        self,
        applied: list[Event],
        views: dict[str, list[PageviewRecorded | PageView]],
        seen: dict[str, list[SiteEventSeen]],
        erased: dict[str, str],
    ) -> None:
        assert self.live is not None
        pending: dict[tuple[str, str], list[PageView]] = {}  # by (account, site), since the last erasure
        happened: dict[tuple[str, str], list[SiteEventSeen]] = {}

        async def evaluate() -> None:
            assert self.live is not None
            for key in [*pending, *(k for k in happened if k not in pending)]:
                await self.live.page_views(key[0], key[1], pending.get(key, []), happened.get(key, ()))
            pending.clear()
            happened.clear()

        for event in applied:
            if event.id in erased:
                await evaluate()
                await self.live.forget(erased[event.id])
                continue
            site_id = event.payload.get("site_id")
            if isinstance(site_id, str):
                pending.setdefault((event.account_id, site_id), []).extend(_page(view) for view in views[event.id])
                if event.id in seen:
                    happened.setdefault((event.account_id, site_id), []).extend(seen[event.id])
        await evaluate()


def _page(view: PageviewRecorded | PageView) -> PageView:
    if isinstance(view, PageView):
        return view
    return PageView.model_validate(view.model_dump(include=set(PageView.model_fields)))


class LiveAnswers:
    """What the live rules need besides page views: a closed invitation (not again this visit), a chat started
    or closed (never while chatting; the conversations' visitors in the shared visitor store)."""

    def __init__(self, live: LiveRules) -> None:
        self.live = live

    async def __call__(self, event: Event) -> None:
        try:
            if event.type == InvitationClosed.TYPE:
                closed = InvitationClosed.model_validate(event.payload)
                await self.live.closed(closed.visitor_id, closed.rule_id)
            elif event.type == ConversationStarted.TYPE:
                started = ConversationStarted.model_validate(event.payload)
                await self.live.store.chat_started(started.conversation_id, started.visitor_id)
                await self.live.chatting(started.visitor_id, "active")
                await request_route(self.live, event.account_id, started)
            elif event.type == ConversationClosed.TYPE:
                ended = ConversationClosed.model_validate(event.payload)
                visitor_id = await self.live.store.chat_ended(ended.conversation_id)
                if visitor_id is not None:
                    await self.live.chatting(visitor_id, "none")
        except ValidationError:
            log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)


LIVE_ANSWERS = [InvitationClosed.TYPE, ConversationStarted.TYPE, ConversationClosed.TYPE]


class RecordPresence(BatchEventHandler):
    """Chat's operator presence into the read model (the newest `at` wins, so a redelivery changes nothing),
    then the accounts whose presence changed are evaluated again."""

    def __init__(self, runtime: ServiceRuntime, live: LiveRules | None = None) -> None:
        self.runtime = runtime
        self.live = live

    async def handle_batch(self, events: Sequence[Event]) -> None:
        changes = payloads(events, OperatorPresenceChanged, log)
        if not changes:
            return
        accounts = {event.account_id: event for event in events if event.id in changes}
        async with self.runtime.db.transaction() as conn:
            for event in events:
                if event.id in changes:
                    await record_presence(conn, event.account_id, changes[event.id])
        if self.live is None:
            return
        for account_id in accounts:
            try:
                await self.live.presence_changed(account_id)
            except Exception:  # recorded; the next page view or timer evaluates with it
                log.warning("re-evaluating the live visitors of %s failed", account_id, exc_info=True)


def consumers(live: LiveRules) -> list[Consumer]:
    return [
        Consumer(
            [PageviewRecorded.TYPE, PageviewsRecorded.TYPE, VisitorErased.TYPE],
            lambda runtime: CountPageviews(runtime, live),
        ),
        Consumer(LIVE_ANSWERS, lambda runtime: LiveAnswers(live)),
        Consumer([OperatorPresenceChanged.TYPE], lambda runtime: RecordPresence(runtime, live)),
        Consumer(list(SITE_EVENTS), SITES.handler),  # the sites read model (`sites.py`)
    ]
