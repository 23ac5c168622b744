"""Events the rules service consumes (consumer group `rules`), each applied at most once.

The page views read together are applied in one transaction (in stream order: one statement for the page views
between two erasures); once it is committed the new ones go to the live rules (`live.py`), one call per site for
the page views of the read (so one look at the site's books serves them all) with the read's site events and exit
intents and their visitors' last chats (the counting statement's answer) and rule histories (one more statement
per account: `rule_history.py`), which a live state built afresh starts from, as do the invitations closed and the chats started or closed. The invitations shown, accepted, closed and
expired and the chats they started are counted per rule and variant, and the visitors' last chats and closes of
the rules' invitations (the visit closed in: `rule_history.record_closes`) kept, in one transaction per read
(`LiveAnswers`). Chat's
`operator.presence_changed` is kept in the presence read model (`presence.py`) and re-evaluates the account's
live visitors.
"""

import logging
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.bus import BatchEventHandler
from services.common.events import (
    ConversationClosed,
    ConversationStarted,
    Event,
    EventPayload,
    InvitationAccepted,
    InvitationClosed,
    InvitationEvent,
    InvitationExpired,
    InvitationShown,
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
from services.rules.invitation_stats import Tally, add_counts
from services.rules.live import LiveRules
from services.rules.models import processed
from services.rules.presence import record_presence
from services.rules.routing import request_route
from services.rules.rule_history import Histories, forget_histories, histories_of, record_closes
from services.rules.sites import SITE_EVENTS, SITES
from services.rules.visitor_stats import count_pageviews, forget_visitor, record_chats

log = logging.getLogger("floorwalker.rules")


class CountPageviews(BatchEventHandler):
    """Page views counted per visitor; an erased visitor's counts and rule histories are deleted."""

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
        last_chats: dict[str, float] = {}  # visitor -> their last chat, as the counting statement answered
        histories: Histories = {}  # visitor -> rule -> its firings ever, as kept durably

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            applied[:] = new
            pending: dict[str, list[PageviewRecorded | PageView]] = {}  # by account, since the last erasure

            async def count() -> None:
                for account_id, seen in pending.items():
                    last_chats.update(await count_pageviews(conn, account_id, seen))
                    histories.update(await histories_of(conn, account_id, [view.visitor_id for view in seen]))
                pending.clear()

            for event in new:
                if event.id in erased:
                    await count()
                    await forget_visitor(conn, event.account_id, erased[event.id])
                    await forget_histories(conn, event.account_id, erased[event.id])
                    last_chats.pop(erased[event.id], None)
                    histories.pop(erased[event.id], None)
                else:
                    pending.setdefault(event.account_id, []).extend(views[event.id])
            await count()

        known = [e for e in events if e.id in views or e.id in erased]
        await handle_batch_once(self.runtime.db, processed, known, effect)
        if self.live is not None:
            try:
                await self._go_live(applied, views, seen, erased, last_chats, histories)
            except Exception:  # the counts are committed; the next page view or timer evaluates again
                log.warning("evaluating the live rules failed", exc_info=True)

    async def _go_live(
        self,
        applied: list[Event],
        views: dict[str, list[PageviewRecorded | PageView]],
        seen: dict[str, list[SiteEventSeen]],
        erased: dict[str, str],
        last_chats: dict[str, float],
        histories: Histories,
    ) -> None:
        assert self.live is not None
        pending: dict[tuple[str, str], list[PageView]] = {}  # by (account, site), since the last erasure
        happened: dict[tuple[str, str], list[SiteEventSeen]] = {}

        async def evaluate() -> None:
            assert self.live is not None
            for key in [*pending, *(k for k in happened if k not in pending)]:
                await self.live.page_views(
                    key[0],
                    key[1],
                    pending.get(key, []),
                    happened.get(key, ()),
                    last_chats=last_chats,
                    histories=histories,
                )
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


class LiveAnswers(BatchEventHandler):
    """What became of invitations and chats: the invitations shown, accepted, closed and expired and the chats
    they started counted per rule and variant (`invitation_stats.py`), and the visitors' last chats
    (`visitor_stats.record_chats`) and closes of the rules' invitations (`rule_history.record_closes`) kept, in
    one transaction per batch, each event once; then, for the live rules, a
    closed invitation (not again this visit) and a chat started or closed (never while chatting; the
    conversations' visitors in the shared visitor store). The live part is done for every delivery (it does
    not add up), the counts once per event."""

    def __init__(self, live: LiveRules, runtime: ServiceRuntime | None = None) -> None:
        self.live = live
        self.runtime = runtime

    async def handle_batch(self, events: Sequence[Event]) -> None:
        parsed: list[tuple[Event, EventPayload]] = []
        for event in events:
            model = ANSWERS.get(event.type)
            if model is None:
                continue
            try:
                parsed.append((event, model.model_validate(event.payload)))
            except ValidationError:
                log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
        runtime = self.runtime or self.live.runtime
        if parsed and runtime is not None:
            await self._record(runtime, parsed)
        for event, payload in parsed:
            await self._go_live(event, payload)

    async def _record(self, runtime: ServiceRuntime, parsed: list[tuple[Event, EventPayload]]) -> None:
        payload_of = {event.id: payload for event, payload in parsed}

        async def effect(conn: AsyncConnection, new: list[Event]) -> None:
            tally = Tally()
            started: list[tuple[str, str, str, datetime]] = []
            closed: list[tuple[str, datetime]] = []
            dismissed: list[tuple[str, str, str]] = []  # (account, visitor, rule): an invitation closed
            for event in new:
                payload = payload_of[event.id]
                if isinstance(payload, InvitationEvent):
                    tally.invitation(event.account_id, payload)
                    if isinstance(payload, InvitationClosed) and payload.rule_id:
                        dismissed.append((event.account_id, payload.visitor_id, payload.rule_id))
                elif isinstance(payload, ConversationStarted):
                    tally.chat(event.account_id, payload)
                    if payload.channel == "web" and max(len(payload.visitor_id), len(payload.conversation_id)) <= 36:
                        started.append(
                            (event.account_id, payload.visitor_id, payload.conversation_id, payload.started_at)
                        )
                elif isinstance(payload, ConversationClosed):
                    closed.append((payload.conversation_id, payload.closed_at))
            await add_counts(conn, tally)
            await record_chats(conn, started, closed)
            await record_closes(conn, dismissed)  # "not again this visit" outlives a live state lost

        await handle_batch_once(runtime.db, processed, [event for event, _ in parsed], effect)

    async def _go_live(self, event: Event, payload: EventPayload) -> None:
        if isinstance(payload, InvitationClosed):
            await self.live.closed(payload.visitor_id, payload.rule_id)
        elif isinstance(payload, ConversationStarted):
            await self.live.store.chat_started(payload.conversation_id, payload.visitor_id)
            await self.live.chatting(payload.visitor_id, "active")
            await request_route(self.live, event.account_id, payload)
        elif isinstance(payload, ConversationClosed):
            visitor_id = await self.live.store.chat_ended(payload.conversation_id)
            if visitor_id is not None:
                await self.live.chatting(visitor_id, "none")


ANSWERS: dict[str, type[EventPayload]] = {
    model.TYPE: model
    for model in (
        InvitationShown,
        InvitationAccepted,
        InvitationClosed,
        InvitationExpired,
        ConversationStarted,
        ConversationClosed,
    )
}
LIVE_ANSWERS = list(ANSWERS)


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
        Consumer(LIVE_ANSWERS, lambda runtime: LiveAnswers(live, runtime)),
        Consumer([OperatorPresenceChanged.TYPE], lambda runtime: RecordPresence(runtime, live)),
        Consumer(list(SITE_EVENTS), SITES.handler),  # the sites read model (`sites.py`)
    ]
