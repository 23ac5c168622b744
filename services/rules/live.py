"""Rules in real time (ENG-5): every page view tracking reports updates the visitor's live state, the site's
enabled rules are evaluated over it, and a rule that matches (and that its caps let fire) puts its invitation
on the visitor's screen; a rule not true yet but that time alone could make true (time on site or page) has
the visitor looked at again then, through the timer store (`timers.py`).

- Rules are read from the database at each evaluation and compiled once per (rule, version): an edit, a
  disable or a deletion takes effect at the next evaluation; a disabled or deleted rule never fires.
- The live state: the page's section, product and search words come with each page view (tracking's site
  patterns), so time and pages in a section, the current section, products viewed and searches are known.
- The invitation goes out as an `invitation` frame on the visitor's channel `visitor:<id>`, the path the
  gateway relays and keeps (`engage/desk.py: relayed`), so the widget's answers become `invitation.*` events
  with the rule and variant. Its id is derived from (rule, visit, how many times it fired this visit) and
  claimed once in the visitor store before the frame is published: the same firing decided twice (a
  redelivered event, two replicas) is published once.
- Operators online / free: chat's `operator.presence_changed`, kept in the rules' database (`presence.py`),
  read per account at most every `PRESENCE_FRESH` seconds; the replica that records a change re-evaluates
  every live visitor of the account at once.
- Caps (`engine.check_caps`): the rule's firings this visit and ever, the visitor's close of one of its
  invitations this visit (`invitation.closed`), and chatting (`conversation.started` / `.closed`).

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
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.events import PageView, VisitorTagged
from services.common.service import ServiceRuntime
from services.rules import repository
from services.rules.engine import (
    CompiledRule,
    EvalContext,
    ProductSeen,
    RuleHistory,
    RuleSet,
    SearchSeen,
    VisitorState,
    check_caps,
    compile_rule,
    pick_variant,
)
from services.rules.engine.actions import NotifyOperators, OpenChat, ShowInvitation, TagVisitor
from services.rules.live_store import LIVE_IDLE, LiveVisitor, MemoryVisitors, VisitorStore, visitor_store
from services.rules.presence import NOBODY, Availability, account_availability
from services.rules.rulebook import definition_of
from services.rules.timers import Clock, TimerStore, timer_store

__all__ = ["LIVE_IDLE", "LiveRules", "LiveVisitor", "invitation_frame"]

log = logging.getLogger("floorwalker.rules.live")
TICK_SECONDS = 0.2  # how often due timers are looked for
INVITATION_TTL = 120.0
OPEN_CHAT_TEXT = "Hello! Can I help you?"
PRESENCE_FRESH = 1.0  # an account's operator availability is read again after this many seconds
KEPT_ITEMS = 100  # products and searches kept per visit


class LiveRules:
    def __init__(self, clock: Clock = time.time, store: VisitorStore | None = None) -> None:
        self.clock = clock
        self.store: VisitorStore = store or MemoryVisitors()
        self.compiled: dict[tuple[str, int, int], CompiledRule] = {}  # (rule, version, position)
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

    async def page_views(self, account_id: str, site_id: str, views: Iterable[PageView]) -> None:
        by_visitor: dict[str, list[PageView]] = {}
        for view in sorted(views, key=lambda v: v.viewed_at):
            by_visitor.setdefault(view.visitor_id, []).append(view)
        for visitor_id, seen in by_visitor.items():
            async with self.store.locked(visitor_id):
                live = await self.store.get(visitor_id)
                for view in seen:
                    live = _viewed(live, account_id, site_id, view)
                assert live is not None
                await self._put(live)  # kept even if the evaluation fails (the next one counts it)
                if await self._evaluate(live):
                    await self._put(live)

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
        fired = 0
        for visitor_id in await self.store.account_visitors(account_id, self.clock() - LIVE_IDLE):
            fired += await self.evaluate(visitor_id)
        return fired

    async def forget(self, visitor_id: str) -> None:
        async with self.store.locked(visitor_id):
            live = await self.store.get(visitor_id)
            await self.store.forget(visitor_id, live.state.account_id if live else None)
        if self.timers is not None:
            await self.timers.cancel(visitor_id)

    # evaluated

    async def _put(self, live: LiveVisitor) -> None:
        await self.store.put(live)

    async def _rules(self, site_id: str) -> RuleSet:
        assert self.runtime is not None
        async with self.runtime.db.reading() as conn:
            rows = await repository.site_rules(conn, site_id)
        rules = []
        for row in rows:
            key = (row["id"], row["version"], row["position"])  # (a move of another rule shifts its place)
            rule = self.compiled.get(key)
            if rule is None:
                rule = compile_rule(definition_of(row), row["id"], row["version"], site_id, row["position"])
                self.compiled[key] = rule
            rules.append(rule)
        return RuleSet(rules)

    async def evaluate(self, visitor_id: str) -> int:
        """Evaluate the visitor's site's rules now; fire what matches and may; returns how many fired."""
        async with self.store.locked(visitor_id):
            live = await self.store.get(visitor_id)
            if live is None:
                return 0
            now = self.clock()
            if (live.state.last_activity_at or now) + LIVE_IDLE < now:
                await self.store.forget(visitor_id, live.state.account_id)
                return 0
            fired = await self._evaluate(live)
            if fired:
                await self._put(live)
            return fired

    async def _evaluate(self, live: LiveVisitor) -> int:
        """Evaluate and fire for a visitor the caller holds (its lock); the history changes in `live`."""
        now = self.clock()
        available = await self.operators(live.state.account_id)
        context = EvalContext(
            now=now,
            operators_online=available.online,
            free_operators=len(available.free),
            free_in_queue=available.free_in_queue,
        )
        outcome = (await self._rules(live.state.site_id)).evaluate(live.state, context)
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
                fired += 1
                break  # one invitation at a time: the first rule in order that may
        if outcome.next_check_at is not None and self.timers is not None:
            await self.timers.schedule(live.state.visitor_id, max(outcome.next_check_at, now))
        return fired

    async def _fire(self, live: LiveVisitor, rule: CompiledRule, history: RuleHistory, now: float) -> bool:
        """Do the rule's actions (once per firing, across replicas); False if it has none that acts here."""
        assert self.runtime is not None
        state, actions = live.state, rule.definition.actions
        frame = invitation_frame(state, rule, history, now)
        notify = next((a for a in actions if isinstance(a, NotifyOperators)), None)
        tags = sorted({a.tag for a in actions if isinstance(a, TagVisitor)} - state.tags)
        if frame is None and notify is None and not tags:
            return False  # (route to a queue alone: not acted on here yet)
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
        for visitor_id in due:
            await self.evaluate(visitor_id)
        return len(due)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("evaluating the due visitors failed; trying again", exc_info=True)


def _viewed(live: LiveVisitor | None, account_id: str, site_id: str, view: PageView) -> LiveVisitor:
    """The visitor after one more page view (a new visit if its visit id is new: the visit's caps start over)."""
    at = view.viewed_at.timestamp()
    if live is None or live.state.visit_id != view.visit_id:
        history = {} if live is None else {k: _next_visit(h) for k, h in live.history.items()}
        state = VisitorState(
            visitor_id=view.visitor_id, site_id=site_id, account_id=account_id, visit_id=view.visit_id,
            visit_started_at=at,
            chat_state=live.state.chat_state if live else "none",
            last_chat_at=live.state.last_chat_at if live else None,
            pages_viewed_total=live.state.pages_viewed_total if live else 0,
            tags=live.state.tags if live else frozenset(),
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
    )
    return live


def _next_visit(history: RuleHistory) -> RuleHistory:
    return RuleHistory(fired_total=history.fired_total, last_fired_at=history.last_fired_at)


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
    """The `invitation` frame of the rule's first invitation action (show one, or open the chat), or None."""
    action = next((a for a in rule.definition.actions if isinstance(a, ShowInvitation | OpenChat)), None)
    if action is None:
        return None
    invitation_id = firing_id(rule, state, history)
    if isinstance(action, ShowInvitation):
        variant = pick_variant(action, rule.rule_id, state.visitor_id)
        text, key, auto_open = variant.text, variant.key, False
    else:
        text, key, auto_open = action.message or OPEN_CHAT_TEXT, None, True
    expires = datetime.fromtimestamp(now, UTC) + timedelta(seconds=INVITATION_TTL + float(action.delay_s))
    return {
        "type": "invitation",
        "invitation_id": invitation_id,
        "rule_id": rule.rule_id,
        "variant": key,
        "text": text,
        "operator": None,
        "auto_open": auto_open,
        "delay_s": float(action.delay_s),
        "expires_at": expires.isoformat(),
    }
