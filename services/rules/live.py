"""Rules in real time (ENG-5): every page view tracking reports updates the visitor's live state, the site's
enabled rules are evaluated over it, and a rule that matches (and that its caps let fire) puts its invitation
on the visitor's screen; a rule not true yet but that time alone could make true (time on site or page) has
the visitor looked at again then, through the timer store (`timers.py`).

- A site's rules and its account's segments are cached in the replica, compiled once per (id, version,
  position), and read again when an edit moved their edition (`books.py`: one look per batch of page views or
  of due timers): an edit, a disable or a deletion takes effect for every evaluation that starts after the edit's
  answer; a disabled or deleted rule never fires.
- The live state: the page's section, product and search words come with each page view (tracking's site
  patterns), so time and pages in a section, the current section, products viewed and searches are known; the
  visit's referrer, arrival, search keywords, UTM, location, device and previous visit with the visitor's last
  page of each event (`VisitContext`); the site events and exit intents with the event (`site_events`).
- The invitation goes out as an `invitation` frame on the visitor's channel `visitor:<id>`, the path the
  gateway relays and keeps (`engage/desk.py: relayed`), so the widget's answers become `invitation.*` events
  with the rule and variant. Its id is derived from (rule, visit, how many times it fired this visit) and
  claimed once in the visitor store before the frame is published: the same firing decided twice (a
  redelivered event, two replicas) is published once.
- Operators online / free: chat's `operator.presence_changed`, kept in the rules' database (`presence.py`),
  read per account at most every `PRESENCE_FRESH` seconds; the replica that records a change re-evaluates
  every live visitor of the account at once.
- The visitors of one batch (a read of page views, the timers due at a tick, an account's visitors after a change
  of operators) are evaluated `VISITORS_AT_ONCE` at a time, each under its own lock.
- Caps (`engine.check_caps`): the rule's firings this visit and ever, the visitor's close of one of its
  invitations this visit (`invitation.closed`), and chatting (`conversation.started` / `.closed`). The last chat
  ("last chat N ago", "not for N hours after a chat") is also kept in the rules' database (`visitor_stats.py`)
  and handed in with the page views, so a live state built afresh starts from it; so are the rule's firings ever
  (how many, the last: "at most N shows", "not again for N days", `rule_history.py`) and those of the visit of
  the last firing and of the last close ("once per visit", "not again this visit after a close": a state lost
  within the visit and built afresh in it starts from them), written once per batch after its firings (`Round`;
  the closes with the batch of `invitation.closed`, `consumers.py`), read with the batch's page views.

Each visitor's live state and rule history is in the visitor store (`live_store.py`): in memory embedded, in
Redis distributed, so that every rules replica sees the same visitor whichever replica's consumer read their
page views; each read-change-write holds the visitor's lock (the editor's preview, `preview.py`, reads the store
too); `LIVE_IDLE` after the last page view a visitor is forgotten.
"""

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from services.common.events import PageView, SiteEventSeen, VisitContext, VisitorTagged
from services.common.periodic import being_cancelled
from services.common.service import ServiceRuntime
from services.rules.books import Batch, Books, SiteNow
from services.rules.engine import (
    CompiledRule,
    EvalContext,
    ProductSeen,
    RuleHistory,
    SearchSeen,
    VisitorState,
    check_caps,
    pick_variant,
)
from services.rules.engine.actions import NotifyOperators, OpenChat, RouteToQueue, ShowInvitation, TagVisitor
from services.rules.live_store import LIVE_IDLE, LiveVisitor, MemoryVisitors, VisitorStore, visitor_store
from services.rules.metrics import RULE_EVALUATIONS, VISITOR_EVALUATIONS
from services.rules.presence import NOBODY, Availability, account_availability
from services.rules.rule_history import Firing, Past, record_firings
from services.rules.segments.classify import SegmentSet
from services.rules.segments.live import assign
from services.rules.timers import Clock, TimerStore, timer_store

__all__ = ["LIVE_IDLE", "LiveRules", "LiveVisitor", "invitation_frame"]

log = logging.getLogger("floorwalker.rules.live")
T = TypeVar("T")
TICK_SECONDS = 0.2  # how often due timers are looked for
INVITATION_TTL = 120.0
OPEN_CHAT_TEXT = "Hello! Can I help you?"
PRESENCE_FRESH = 1.0  # an account's operator availability is read again after this many seconds
KEPT_ITEMS = 100  # products and searches kept per visit
KEPT_EVENT_TIMES = 100  # times kept per site event name, per visit (the newest)
KEPT_EVENT_NAMES = 50  # site event names kept per visit (those that happened last)
VISITORS_AT_ONCE = 16  # the visitors of one batch evaluated at once (within the 20 connections)


async def each(items: Iterable[T], work: Callable[[T], Awaitable[object]]) -> None:
    """`work(item)` for every item, `VISITORS_AT_ONCE` at a time; the first failure is raised once all are done."""
    gate = asyncio.Semaphore(VISITORS_AT_ONCE)

    async def one(item: T) -> None:
        async with gate:
            await work(item)

    done = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
    failed = next((result for result in done if isinstance(result, BaseException)), None)
    if failed is not None:
        raise failed


class Round(Batch):
    """One batch's evaluations (`Batch`), with the firings they decided: kept durably in one statement once the
    batch is done (`LiveRules._keep`)."""

    def __init__(self, read: Callable[[str, str], Awaitable[SiteNow]]) -> None:
        super().__init__(read)
        self.firings: list[Firing] = []


class LiveRules:
    def __init__(self, clock: Clock = time.time, store: VisitorStore | None = None) -> None:
        self.clock = clock
        self.store: VisitorStore = store or MemoryVisitors()
        self.books = Books(self.store)  # the sites' rules and the accounts' segments (`books.py`)
        self.availability: dict[str, tuple[Availability, float]] = {}  # account -> (availability, read at)
        self.runtime: ServiceRuntime | None = None
        self.timers: TimerStore | None = None
        self._task: asyncio.Task[None] | None = None
        self._own_store = store is None

    async def start(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        self.timers = timer_store(settings.redis_url, settings.redis_prefix, self.clock)
        if self._own_store:
            self.store = visitor_store(settings.redis_url, settings.redis_prefix)
            self.books = Books(self.store)
        self._task = asyncio.create_task(self._run())

    async def stop(self, runtime: ServiceRuntime) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.timers is not None:
            await self.timers.close()
        if self._own_store:
            await self.store.close()

    # what tracking, the gateway and chat report

    async def page_views(
        self,
        account_id: str,
        site_id: str,
        views: Iterable[PageView],
        happened: Iterable[SiteEventSeen] = (),
        last_chats: Mapping[str, float] | None = None,
        histories: Mapping[str, Mapping[str, Past]] | None = None,
    ) -> None:
        """The page views, site events and exit intents of one site (of one read of the stream: one look at the
        site's books for all). A site event of a visitor or visit the live state does not know is left out.
        `last_chats`: the visitors' last chats as the rules' database keeps them (epoch seconds), `histories`
        their rules' pasts (by visitor, by rule; `rule_history.py`): a visitor whose live state is built
        afresh (gone after `LIVE_IDLE`, lost, or never on this store) starts from theirs."""
        durable, pasts = last_chats or {}, histories or {}
        by_visitor: dict[str, list[PageView]] = {}
        for view in sorted(views, key=lambda v: v.viewed_at):
            by_visitor.setdefault(view.visitor_id, []).append(view)
        events: dict[str, list[SiteEventSeen]] = {}
        for event in sorted(happened, key=lambda e: e.at):
            events.setdefault(event.visitor_id, []).append(event)
            by_visitor.setdefault(event.visitor_id, [])
        batch = self._batch()

        async def one(item: tuple[str, list[PageView]]) -> None:
            visitor_id, seen = item
            async with self.store.locked(visitor_id):
                live, now = await self.store.get(visitor_id), self.clock()
                for view in seen:
                    live = _viewed(
                        live, account_id, site_id, view, durable.get(visitor_id), pasts.get(visitor_id), now=now
                    )
                if live is not None and visitor_id in events:
                    live.state = _happened(live.state, events[visitor_id])
                if live is None:
                    return
                await self._put(live)  # kept even if the evaluation fails (the next one counts it)
                if await self._evaluate(live, batch):
                    await self._put(live)

        # The visitors concurrently (their round trips to the store overlap), each under its own lock.
        try:
            await each(by_visitor.items(), one)
        finally:
            await self._keep(batch)

    async def closed(self, visitor_id: str, rule_id: str | None) -> None:
        if not rule_id:
            return
        async with self.store.locked(visitor_id):
            live = await self.store.get(visitor_id)
            if live is not None:
                live.history[rule_id] = replace(live.history.get(rule_id, RuleHistory()), closed_this_visit=True)
                await self._put(live)

    async def chatting(self, visitor_id: str, state: str) -> None:
        async with self.store.locked(visitor_id):
            live = await self.store.get(visitor_id)
            if live is not None:
                live.state = replace(live.state, chat_state=state, last_chat_at=self.clock())
                await self._put(live)

    async def routed_queue(self, visitor_id: str) -> tuple[str, str] | None:
        """(rule id, queue id) of the rule that fired last for the visitor this visit among those (enabled now)
        that route to a queue (`route_to_queue`), or None."""
        live = await self.store.get(visitor_id)
        if live is None:
            return None
        fired = sorted(
            ((h.last_fired_at or 0.0, rule_id) for rule_id, h in live.history.items() if h.fired_this_visit),
            reverse=True,
        )
        assert self.runtime is not None
        rules = (
            {r.rule_id: r for r in (await self.books.rules(self.runtime, live.state.site_id)).rules} if fired else {}
        )
        for _, rule_id in fired:
            rule = rules.get(rule_id)
            route = next((a for a in rule.definition.actions if isinstance(a, RouteToQueue)), None) if rule else None
            if route is not None:
                return rule_id, route.queue_id
        return None

    def online(self, account_id: str) -> frozenset[str]:
        """The account's operators online, as last read (see `operators`)."""
        return self.availability.get(account_id, (NOBODY, 0.0))[0].online

    async def operators(self, account_id: str) -> Availability:
        """The account's operator availability, read from the database at most every `PRESENCE_FRESH` s."""
        known = self.availability.get(account_id)
        now = time.monotonic()
        if known is not None and known[1] + PRESENCE_FRESH > now:
            return known[0]
        assert self.runtime is not None
        async with self.runtime.db.reading() as conn:
            found = await account_availability(conn, account_id)
        self.availability[account_id] = (found, now)
        return found

    async def presence_changed(self, account_id: str) -> int:
        """An operator's presence in the account was recorded: when that changes who is online or free,
        every live visitor of the account is evaluated again now; returns how many fired."""
        before = self.availability.pop(account_id, None)
        if before is not None and await self.operators(account_id) == before[0]:
            return 0
        fired: list[int] = []
        batch = self._batch()

        async def one(visitor_id: str) -> None:
            fired.append(await self.evaluate(visitor_id, batch))

        try:
            await each(await self.store.account_visitors(account_id, self.clock() - LIVE_IDLE), one)
        finally:
            await self._keep(batch)
        return sum(fired)

    async def forget(self, visitor_id: str) -> None:
        async with self.store.locked(visitor_id):
            live = await self.store.get(visitor_id)
            await self.store.forget(visitor_id, live.state.account_id if live else None)
        if self.timers is not None:
            await self.timers.cancel(visitor_id)

    # evaluated

    async def _put(self, live: LiveVisitor) -> None:
        await self.store.put(live)

    def _batch(self) -> Round:
        return Round(self._site_now)

    async def _keep(self, batch: Round) -> None:
        """The batch's firings into the rules' database (one statement); a failure is logged: those firings'
        history then lives only in the live state."""
        if not batch.firings or self.runtime is None:
            return
        firings, batch.firings = batch.firings, []
        try:
            async with self.runtime.db.transaction() as conn:
                await record_firings(conn, firings)
        except Exception:
            log.warning("keeping %d firings failed", len(firings), exc_info=True)

    async def _site_now(self, account_id: str, site_id: str) -> SiteNow:
        """The site's rules, its account's segments (as cached, `books.py`) and operators now."""
        assert self.runtime is not None
        rules, segments = await self.books.site(self.runtime, account_id, site_id)
        return SiteNow(rules, segments, await self.operators(account_id))

    async def evaluate(self, visitor_id: str, batch: Round | None = None) -> int:
        """Evaluate the visitor's site's rules now; fire what matches and may; returns how many fired. The
        firings are kept with the batch's (`_keep`), or at once without one."""
        if batch is None:
            own = self._batch()
            try:
                return await self.evaluate(visitor_id, own)
            finally:
                await self._keep(own)
        async with self.store.locked(visitor_id):
            live = await self.store.get(visitor_id)
            if live is None:
                return 0
            now = self.clock()
            if (live.state.last_activity_at or now) + LIVE_IDLE < now:
                await self.store.forget(visitor_id, live.state.account_id)
                return 0
            fired = await self._evaluate(live, batch)
            if fired:
                await self._put(live)
            return fired

    async def _evaluate(self, live: LiveVisitor, batch: Round) -> int:
        """Evaluate and fire for a visitor the caller holds (its lock); the history changes in `live`."""
        site = await batch.site(live.state.account_id, live.state.site_id)
        now = self.clock()
        context = EvalContext(
            now=now,
            operators_online=site.operators.online,
            free_operators=len(site.operators.free),
            free_in_queue=site.operators.free_in_queue,
        )
        segment_check = await self._segment(live, site.segments, context)  # first: the `segment` condition sees it
        rules = site.rules
        outcome = rules.evaluate(live.state, context)
        VISITOR_EVALUATIONS.inc()
        RULE_EVALUATIONS.inc(len(rules.candidates(live.state)))
        fired = 0
        for rule in outcome.matched:
            history = live.history.get(rule.rule_id, RuleHistory())
            if not check_caps(rule.definition.caps, history, live.state, now).allowed:
                continue
            if await self._fire(live, rule, history, now):
                live.history[rule.rule_id] = replace(
                    history,
                    fired_this_visit=history.fired_this_visit + 1,
                    fired_total=history.fired_total + 1,
                    last_fired_at=now,
                )
                state = live.state
                batch.firings.append(
                    Firing(
                        state.account_id,
                        state.visitor_id,
                        rule.rule_id,
                        history.fired_total + 1,
                        now,
                        state.visit_id,
                        history.fired_this_visit + 1,
                    )
                )
                fired += 1
                break  # one invitation at a time: the first rule in order that may
        checks = [t for t in (outcome.next_check_at, segment_check) if t is not None]
        if checks and self.timers is not None:
            await self.timers.schedule(live.state.visitor_id, max(min(checks), now))
        return fired

    async def _segment(self, live: LiveVisitor, segments: SegmentSet, context: EvalContext) -> float | None:
        """The visitor's segment now (`segments/live.py`), kept in the store when it changed; returns when time
        alone could change it. A failure leaves the segment as it was (the next evaluation tries again)."""
        assert self.runtime is not None
        try:
            state, assignment = await assign(self.runtime, segments, live.state, context)
        except Exception:
            log.warning("assigning the segment of %s failed", live.state.visitor_id, exc_info=True)
            return None
        if state is not live.state:
            live.state = state
            await self._put(live)
        return assignment.next_check_at

    async def _fire(self, live: LiveVisitor, rule: CompiledRule, history: RuleHistory, now: float) -> bool:
        """Do the rule's actions (once per firing, across replicas); False if it has none that acts here."""
        assert self.runtime is not None
        state, actions = live.state, rule.definition.actions
        frame = invitation_frame(state, rule, history, now)
        notify = next((a for a in actions if isinstance(a, NotifyOperators)), None)
        tags = sorted({a.tag for a in actions if isinstance(a, TagVisitor)} - state.tags)
        routes = any(isinstance(a, RouteToQueue) for a in actions)  # kept in the history: `routed_queue`
        if frame is None and notify is None and not tags and not routes:
            return False
        if not await self.store.claim(firing_id(rule, state, history)):
            return True  # decided before (another replica, a redelivered event): done then
        bus = self.runtime.bus
        if tags:
            live.state = replace(state, tags=state.tags | frozenset(tags))
            tagged = VisitorTagged(
                site_id=state.site_id,
                visitor_id=state.visitor_id,
                tags=tags,
                rule_id=rule.rule_id,
                at=datetime.fromtimestamp(now, UTC),
            )
            await bus.publish_event(tagged.to_event(state.account_id))
        if frame is not None:
            await bus.publish(f"visitor:{state.visitor_id}", frame)
        if notify is not None:
            await bus.publish(f"account:{state.account_id}", highlight_frame(state, rule, notify, now))
        return True

    async def run_due(self) -> int:
        """Evaluate every visitor whose time came (each claimed by one replica)."""
        if self.timers is None:
            return 0
        due = await self.timers.claim_due()
        batch = self._batch()

        async def one(visitor_id: str) -> None:
            await self.evaluate(visitor_id, batch)

        try:
            await each(due, one)
        finally:
            await self._keep(batch)
        return len(due)

    async def _run(self) -> None:
        # Also ends on a cancellation swallowed inside a tick (one seen in Redis's client: the tick returned, the
        # loop slept again, and `stop()` waited for ever on the cancelled task).
        while not being_cancelled():
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                if being_cancelled():
                    raise asyncio.CancelledError from None
                log.warning("evaluating the due visitors failed; trying again", exc_info=True)


def _viewed(
    live: LiveVisitor | None,
    account_id: str,
    site_id: str,
    view: PageView,
    last_chat_at: float | None = None,
    durable: Mapping[str, Past] | None = None,
    now: float | None = None,
) -> LiveVisitor:
    """The visitor after one more page view (a new visit if its visit id is new: the visit's caps start over,
    but for what the durable past has of this visit). `last_chat_at` and `durable` (the rules' pasts, by rule):
    as kept durably, for a new visit's state (built afresh, it has only them; a live one may know later ones).
    A state built afresh starts its visit at this page view, or earlier at the visit's start tracking gives
    (`_in_context`; not after `now`)."""
    at = view.viewed_at.timestamp()
    if live is None or live.state.visit_id != view.visit_id:
        history = {} if live is None else {k: _next_visit(h) for k, h in live.history.items()}
        for rule_id, past in (durable or {}).items():
            history[rule_id] = _with_past(history.get(rule_id, RuleHistory()), past.in_visit(view.visit_id))
        state = VisitorState(
            visitor_id=view.visitor_id, site_id=site_id, account_id=account_id, visit_id=view.visit_id,
            visit_started_at=at,
            chat_state=live.state.chat_state if live else "none",
            last_chat_at=_later(live.state.last_chat_at if live else None, last_chat_at),
            previous_visit_at=live.state.last_activity_at if live else None,  # tracking's, if it says (`_in_context`)
            pages_viewed_total=live.state.pages_viewed_total if live else 0,
            tags=live.state.tags if live else frozenset(),
            attributes=live.state.attributes if live else {},
            segment=live.state.segment if live else None,
            segment_name=live.state.segment_name if live else None,
        )  # fmt: skip
        live = LiveVisitor(state, history)
    before = live.state
    section_seconds = dict(before.section_seconds)
    if before.section and before.page_started_at is not None:  # the page left: its time counts for its section
        spent = max(0.0, at - before.page_started_at)
        section_seconds[before.section] = section_seconds.get(before.section, 0.0) + spent
    section_pages = dict(before.section_pages)
    if view.section:
        section_pages[view.section] = section_pages.get(view.section, 0) + 1
    stays = view.section is not None and view.section == before.section and before.section_entered_at is not None
    products, searches = tuple(before.products), tuple(before.searches)
    if view.product_sku:
        seen = ProductSeen(name=view.title or view.product_sku, sku=view.product_sku, category=view.section, at=at)
        products = (*products, seen)[-KEPT_ITEMS:]
    if view.search_query:
        searches = (*searches, SearchSeen(query=view.search_query, at=at))[-KEPT_ITEMS:]
    live.state = replace(
        before,
        page_started_at=at,
        last_activity_at=at,
        current_url=view.url,
        current_title=view.title or None,
        section=view.section,
        section_entered_at=(before.section_entered_at if stays else at) if view.section else None,
        section_seconds=section_seconds,
        section_pages=section_pages,
        products=products,
        searches=searches,
        pages_viewed=before.pages_viewed + 1,
        pages_viewed_total=before.pages_viewed_total + 1,
        visit_count=view.visit_count or before.visit_count,
        returning=(view.visit_count or before.visit_count) > 1,
        attributes=before.attributes if view.attributes is None else view.attributes,
    )
    if view.visit is not None:
        live.state = _in_context(live.state, view.visit, at if now is None else min(at, now))
    return live


def _later(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _in_context(state: VisitorState, visit: VisitContext, latest: float) -> VisitorState:
    """The state with its visit's context (from tracking's visit row); a previous visit time not given is kept.
    The visit's start tracking gives moves the state's earlier only (a state built afresh mid-visit, after a
    rules restart or a flushed store, started at the first page view it saw); one after `latest` (the page
    view's time, or now) is not believed."""
    previous = visit.previous_visit_at.timestamp() if visit.previous_visit_at else state.previous_visit_at
    started = state.visit_started_at
    given = visit.started_at.timestamp() if visit.started_at else None
    if given is not None and given <= latest and (started is None or given < started):
        started = given
    return replace(
        state,
        referrer=visit.referrer,
        arrived_via=visit.arrived_via,
        search_keywords=visit.search_keywords,
        utm=visit.utm,
        country_code=visit.country_code,
        country=visit.country,
        region=visit.region,
        city=visit.city,
        device_class=visit.device_class,
        browser=visit.browser,
        os=visit.os,
        previous_visit_at=previous,
        visit_started_at=started,
    )


def _happened(state: VisitorState, seen: Iterable[SiteEventSeen]) -> VisitorState:
    """The state after the site events and exit intents of its visit (oldest first; those of another visit are
    left out): each name's times (the newest `KEPT_EVENT_TIMES`, of the `KEPT_EVENT_NAMES` names seen last)."""
    times = {name: list(at) for name, at in state.events.items()}
    exit_at, last = state.exit_intent_at, state.last_activity_at
    for event in seen:
        if event.visit_id != state.visit_id:
            continue
        at = event.at.timestamp()
        last = at if last is None else max(last, at)
        if event.kind == "exit_intent":
            exit_at = at if exit_at is None else max(exit_at, at)
        elif event.name:
            kept = times.pop(event.name, [])  # re-inserted: the names in the order they last happened
            kept.append(at)
            kept.sort()
            times[event.name] = kept[-KEPT_EVENT_TIMES:]
    names = list(times)[-KEPT_EVENT_NAMES:]
    events = {name: tuple(times[name]) for name in names}
    return replace(state, events=events, exit_intent_at=exit_at, last_activity_at=last)


def _next_visit(history: RuleHistory) -> RuleHistory:
    return RuleHistory(fired_total=history.fired_total, last_fired_at=history.last_fired_at)


def _with_past(history: RuleHistory, past: RuleHistory) -> RuleHistory:
    """The history with the durable past's (as of the same visit) where it has more (or later)."""
    return RuleHistory(
        fired_this_visit=max(history.fired_this_visit, past.fired_this_visit),
        fired_total=max(history.fired_total, past.fired_total),
        last_fired_at=_later(history.last_fired_at, past.last_fired_at),
        closed_this_visit=history.closed_this_visit or past.closed_this_visit,
    )


def firing_id(rule: CompiledRule, state: VisitorState, history: RuleHistory) -> str:
    """The same for the same firing (rule, visit, how many times it fired before): its invitation's id."""
    seed = f"{rule.rule_id}:{state.visit_id}:{history.fired_this_visit}:{history.fired_total}"
    return "r-" + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def highlight_frame(state: VisitorState, rule: CompiledRule, action: NotifyOperators, now: float) -> dict[str, Any]:
    """`visitor.highlight` on the account's channel: the operators' consoles mark the visitor in the live list
    (and play a sound if asked)."""
    return {
        "type": "visitor.highlight",
        "visitor_id": state.visitor_id,
        "site_id": state.site_id,
        "rule_id": rule.rule_id,
        "rule_name": rule.definition.name,
        "highlight": action.highlight,
        "sound": action.sound,
        "current_url": state.current_url,
        "at": datetime.fromtimestamp(now, UTC).isoformat(),
    }


def invitation_frame(
    state: VisitorState, rule: CompiledRule, history: RuleHistory, now: float
) -> dict[str, Any] | None:
    """The `invitation` frame of the rule's first invitation action (show one, or open the chat), or None;
    with the rule's `route_to_queue`, its `queue_id` (the conversation accepting it starts goes there)."""
    action = next((a for a in rule.definition.actions if isinstance(a, ShowInvitation | OpenChat)), None)
    if action is None:
        return None
    invitation_id = firing_id(rule, state, history)
    operator = None
    if isinstance(action, ShowInvitation):
        variant = pick_variant(action, rule.rule_id, state.visitor_id)
        text, key, auto_open = variant.text, variant.key, False
        # by id only: the gateway, which owns users, puts in their name and photo (`engage/desk.py`)
        operator = {"id": action.operator_id} if action.operator_id else None
    else:
        text, key, auto_open = action.message or OPEN_CHAT_TEXT, None, True
    expires = datetime.fromtimestamp(now, UTC) + timedelta(seconds=INVITATION_TTL + float(action.delay_s))
    route = next((a for a in rule.definition.actions if isinstance(a, RouteToQueue)), None)
    return {
        "type": "invitation",
        "invitation_id": invitation_id,
        "rule_id": rule.rule_id,
        "variant": key,
        "text": text,
        "operator": operator,
        "auto_open": auto_open,
        "delay_s": float(action.delay_s),
        "expires_at": expires.isoformat(),
        "queue_id": route.queue_id if route else None,  # the gateway keeps it: accepting starts a chat there
    }
