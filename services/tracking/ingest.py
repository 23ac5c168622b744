"""Storing the widget's event batches, many in one transaction.

Two ways in, one way to the tables (`BatchPlan`):
- `store_accepted`: the `track.batch` events the gateway accepted, as tracking's consumer reads them (up to
  100 at a time), each stored once whatever the redeliveries (`tracking_processed_events`).
- `submit`: the tracking service's own endpoint; the request waits while the writer takes everything
  waiting (many requests, many visitors) and writes it in one transaction, and is answered after the
  commit. On shutdown the queue is written out first.
A batch is visitors, visits, page views, products, searches and the outbox rows, in batched statements.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, case, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import insert_rows, upsert_insert, utcnow
from services.common.errors import AppError, Forbidden, ServiceUnavailable, Unauthorized
from services.common.events import Event, EventPayload, PageView, PageviewsRecorded, VisitorRobotDetected, payloads
from services.common.ids import new_id
from services.common.outbox import add_events, handle_batch_once
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.common.track_events import CheckedEvent, TrackBatchReceived, check_events, event_time, parse_events
from services.tracking.api.schemas import (
    AttributesEvent,
    EngagementEvent,
    PageviewEvent,
    ProductEvent,
    RejectedEvent,
    SearchEvent,
    TrackEvent,
)
from services.tracking.arrival import arrived_via, utm_of
from services.tracking.enrichment import Enricher
from services.tracking.live import Changes, LiveBoard
from services.tracking.models import outbox, page_views, processed_events, products_viewed, searches, visitors, visits
from services.tracking.patterns import SitePatterns
from services.tracking.site_config import SiteConfigs

log = logging.getLogger("floorwalker.tracking.ingest")
VISIT_IDLE = timedelta(minutes=30)
FLUSH_EVENTS = 5000  # events written in one transaction at most
PAGES_PER_EVENT = 500  # page views in one `pageviews.recorded` event at most


@dataclass
class Submission:
    """One request's (or one `track.batch` event's) events, to be written."""

    caller: Identity
    user_agent: str | None
    received_at: datetime
    events: list[CheckedEvent]
    done: asyncio.Future[None] | None = None  # the waiting request, when there is one
    rejected: list[RejectedEvent] = field(default_factory=list)

    def refuse(self, error: AppError) -> None:
        if self.done is None:  # nobody to tell: a batch accepted at the edge
            log.warning("tracking batch of visitor %s dropped: %s", self.caller.visitor_id, error.message)
        elif not self.done.done():
            self.done.set_exception(error)


class IngestWriter:
    def __init__(self, runtime: ServiceRuntime, configs: SiteConfigs, enricher: Enricher, board: LiveBoard) -> None:
        self.runtime = runtime
        self.configs = configs
        self.enricher = enricher
        self.board = board
        self._queue: list[Submission] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Write out what is queued, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self._queue:
            await self._write_some()
        self._task = None

    async def submit(
        self, caller: Identity, user_agent: str | None, raw_events: list[dict[str, Any]]
    ) -> list[RejectedEvent]:
        """Store the valid events of one request; returns the refused ones. Raises when none could be stored."""
        if not caller.visitor_id or not caller.site_id:
            raise Unauthorized("The visitor identity names no visitor or site.", code="invalid_identity")
        received_at = utcnow()
        events, rejected = check_events(raw_events, received_at)
        if not events:
            return rejected
        if self._stopping and self._task is None:  # stopped: nobody would write it
            raise ServiceUnavailable("The tracking service is stopping; send the events again.")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        submission = Submission(caller, user_agent, received_at, events, done, rejected)
        self._queue.append(submission)
        self._wake.set()
        await done
        return sorted(submission.rejected, key=lambda r: r.index)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self._write_some()
            if self._stopping:
                return

    async def _write_some(self) -> None:
        batch: list[Submission] = []
        count = 0
        while self._queue and (not batch or count + len(self._queue[0].events) <= FLUSH_EVENTS):
            submission = self._queue.pop(0)
            batch.append(submission)
            count += len(submission.events)
        try:
            changed = await self._write(batch)
        except Exception:
            log.exception("writing %d tracking events failed", count)
            for submission in batch:
                if submission.done is not None and not submission.done.done():
                    submission.done.set_exception(
                        ServiceUnavailable("The events could not be stored; send them again.")
                    )
            return
        await self.board.publish_changes(changed)  # before the answer: a client sees itself in the list
        for submission in batch:
            if submission.done is not None and not submission.done.done():
                submission.done.set_result(None)

    async def _write(self, batch: list[Submission]) -> Changes:
        async with self.runtime.db.transaction() as session:
            changes = await self.write_in(session, batch)
        self.runtime.after_commit()
        return changes

    async def write_in(self, session: AsyncConnection, batch: list[Submission]) -> Changes:
        """Store the submissions in the caller's transaction; returns what changed for the live list."""
        plan = await BatchPlan.load(session, batch, self.configs, self.enricher, self.runtime.settings)
        plan.apply()
        await plan.store(session)
        return plan.changes

    async def store_accepted(self, events: Sequence[Event]) -> None:
        """`track.batch` events (accepted at the edge) in one transaction, each stored once whatever the
        redeliveries; a malformed one is dropped (retrying cannot fix it)."""
        batches = payloads(events, TrackBatchReceived, log)
        changed = Changes()

        async def effect(session: AsyncConnection, new: list[Event]) -> None:
            nonlocal changed
            submissions = [submission_of(batches[event.id]) for event in new]
            changed = await self.write_in(session, [s for s in submissions if s.events])

        await handle_batch_once(self.runtime.db, processed_events, [e for e in events if e.id in batches], effect)
        self.runtime.after_commit()
        await self.board.publish_changes(changed)


def submission_of(batch: TrackBatchReceived) -> Submission:
    """The events of a `track.batch` event, checked again (a malformed one is dropped, not retried)."""
    events: list[CheckedEvent] = []
    for index, event in enumerate(parse_events(batch.events)):
        if isinstance(event, RejectedEvent):
            log.warning("dropping a malformed event of visitor %s", batch.visitor.visitor_id)
            continue
        events.append((index, event, event_time(event, batch.received_at)))
    return Submission(batch.visitor, batch.user_agent, batch.received_at, events)


def known_pages_query(dialect: str, keys: list[tuple[str | None, str]]) -> tuple[Select[Any], dict[str, Any]]:
    """The page views stored before among (visitor, page id) pairs, looked up pair by pair in the unique
    (visitor_id, page_key) index. Two IN lists (visitors, page ids) made PostgreSQL probe every visitor
    with every page id: 0.9 s for a batch of 2,000 page views once the table had 400,000 rows."""
    columns = (page_views.c.visitor_id, page_views.c.page_key, page_views.c.time_spent_seconds)
    if dialect != "postgresql":  # SQLite walks the index for a row-value IN
        pairs = tuple_(page_views.c.visitor_id, page_views.c.page_key).in_(keys)
        return select(*columns).where(pairs), {}
    wanted = (
        func.unnest(bindparam("b_visitors", type_=ARRAY(String)), bindparam("b_keys", type_=ARRAY(String)))
        .table_valued("visitor_id", "page_key")
        .render_derived(name="wanted")
    )
    on = and_(page_views.c.visitor_id == wanted.c.visitor_id, page_views.c.page_key == wanted.c.page_key)
    return select(*columns).join_from(page_views, wanted, on), {
        "b_visitors": [v for v, _ in keys],
        "b_keys": [k for _, k in keys],
    }


class BatchPlan:
    """The rows one batch reads and writes; `apply` works out the changes in memory, `store` writes them."""

    def __init__(self, batch: list[Submission], enricher: Enricher, robot_pages: int, robot_seconds: float) -> None:
        self.batch = batch
        self.enricher = enricher
        self.robot_pages = robot_pages
        self.robot_window = timedelta(seconds=robot_seconds)
        self.visitors: dict[str, dict[str, Any]] = {}
        self.visits: dict[str, dict[str, Any]] = {}  # current visits read, and new ones
        self.new_visits: set[str] = set()
        self.patterns: dict[str, SitePatterns] = {}
        self.known_pages: dict[tuple[str, str], float | None] = {}  # (visitor, page key) stored before
        self.page_rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.anonymous_pages: list[dict[str, Any]] = []
        self.engagement: dict[tuple[str, str], float] = {}
        self.product_rows: list[dict[str, Any]] = []
        self.search_rows: list[dict[str, Any]] = []
        self.events: list[tuple[EventPayload, str]] = []
        self.page_events: dict[tuple[str, str], list[PageView]] = {}  # (account, site): views for the event
        self.changes = Changes()

    @classmethod
    async def load(
        cls, session: AsyncConnection, batch: list[Submission], configs: SiteConfigs, enricher: Enricher, settings: Any
    ) -> "BatchPlan":
        plan = cls(batch, enricher, settings.robot_burst_pages, settings.robot_burst_seconds)
        callers = {s.caller.visitor_id: s.caller for s in batch}
        first_at: dict[str | None, datetime] = {}
        for s in batch:
            first_at.setdefault(s.caller.visitor_id, s.events[0][2])
        created = upsert_insert(session, visitors).on_conflict_do_nothing(index_elements=[visitors.c.id])
        new_visitors = [
            {
                "id": vid,
                "account_id": c.account_id,
                "site_id": c.site_id,
                "first_seen_at": first_at[vid],
                "last_seen_at": first_at[vid],
                "visit_count": 0,
                "pages_viewed": 0,
                "is_robot": bool(c.robot),
                "robot_reason": c.robot,
                "burst_pages": 0,
            }
            for vid, c in sorted(callers.items())
        ]
        await session.execute(created, new_visitors)  # executemany: one cached statement, whatever the count
        query = select(visitors).where(visitors.c.id.in_(sorted(callers))).order_by(visitors.c.id)
        if session.dialect.name == "postgresql":
            query = query.with_for_update()  # two replicas writing the same visitor take turns
        plan.visitors = {row["id"]: dict(row) for row in (await session.execute(query)).mappings()}
        visit_ids = [v["current_visit_id"] for v in plan.visitors.values() if v["current_visit_id"]]
        if visit_ids:
            rows = await session.execute(select(visits).where(visits.c.id.in_(visit_ids)))
            plan.visits = {row["id"]: dict(row) for row in rows.mappings()}
        keys = {
            (s.caller.visitor_id, e.page_id)
            for s in batch
            for _, e, _ in s.events
            if isinstance(e, PageviewEvent | EngagementEvent) and e.page_id
        }
        if keys:
            known = await session.execute(*known_pages_query(session.dialect.name, sorted(keys)))
            plan.known_pages = {(v, k): spent for v, k, spent in known}
        for site_id in {s.caller.site_id for s in batch}:
            assert site_id is not None
            plan.patterns[site_id] = await configs.patterns(session, site_id)
        return plan

    def apply(self) -> None:
        for submission in self.batch:
            caller = submission.caller
            visitor = self.visitors[caller.visitor_id or ""]
            if visitor["account_id"] != caller.account_id or visitor["site_id"] != caller.site_id:
                submission.refuse(Forbidden("This visitor belongs to another site.", code="visitor_of_another_site"))
                continue
            for index, event, at in submission.events:
                problem = self._apply_event(submission, visitor, event, at)
                if problem:
                    submission.rejected.append(problem.with_index(index))

    def _apply_event(
        self, submission: Submission, visitor: dict[str, Any], event: TrackEvent, at: datetime
    ) -> "Problem | None":
        if isinstance(event, PageviewEvent):
            self._pageview(submission, visitor, event, at)
            return None
        if isinstance(event, AttributesEvent):
            merged = dict(visitor["attributes"] or {})
            for name, value in event.attributes.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            visitor["attributes"] = merged
            self._touch(visitor, at)
            return None
        if isinstance(event, EngagementEvent):
            key = (visitor["id"], event.page_id)
            if key in self.page_rows:
                row = self.page_rows[key]
                row["time_spent_seconds"] = max(row["time_spent_seconds"] or 0.0, event.visible_seconds)
            elif key in self.known_pages:
                self.engagement[key] = max(self.engagement.get(key, 0.0), event.visible_seconds)
            else:
                return Problem("unknown_page", "page_id: no page view with this id")
            self._touch(visitor, at)
            return None
        visit_id = visitor["current_visit_id"]
        if not visit_id:
            return Problem("no_page_view", "send a pageview before products or searches")
        common = {
            "id": new_id(),
            "visit_id": visit_id,
            "visitor_id": visitor["id"],
            "account_id": visitor["account_id"],
            "site_id": visitor["site_id"],
            "page_key": event.page_id,
            "viewed_at": at,
        }
        if isinstance(event, ProductEvent):
            self.product_rows.append(
                {
                    **common,
                    "sku": event.sku,
                    "name": event.name,
                    "url": event.url,
                    "price": event.price,
                    "currency": event.currency,
                    "category": event.category,
                }
            )
        elif isinstance(event, SearchEvent):
            self.search_rows.append({**common, "query": event.query})
        self._touch(visitor, at)
        return None

    def _touch(self, visitor: dict[str, Any], at: datetime) -> None:
        if at > visitor["last_seen_at"]:
            visitor["last_seen_at"] = at
        if visitor["current_visit_id"] in self.visits:
            visit = self.visits[visitor["current_visit_id"]]
            visit["last_activity_at"] = max(visit["last_activity_at"], at)
        self.changes.updated.add(visitor["id"])

    def _pageview(self, submission: Submission, visitor: dict[str, Any], event: PageviewEvent, at: datetime) -> None:
        vid = visitor["id"]
        if event.page_id and ((vid, event.page_id) in self.known_pages or (vid, event.page_id) in self.page_rows):
            return  # a retried batch: stored already
        visit = self._visit_for(submission, visitor, event, at)
        facts = self.patterns[visitor["site_id"]].facts(event.url)
        row = {
            "id": new_id(),
            "visit_id": visit["id"],
            "visitor_id": vid,
            "account_id": visitor["account_id"],
            "site_id": visitor["site_id"],
            "page_key": event.page_id,
            "url": event.url,
            "title": event.title,
            "referrer": event.referrer,
            "section": facts.section,
            "time_spent_seconds": None,
            "viewed_at": at,
        }
        if event.page_id:
            self.page_rows[(vid, event.page_id)] = row
        else:
            self.anonymous_pages.append(row)
        common = {k: row[k] for k in ("visit_id", "visitor_id", "account_id", "site_id", "page_key", "viewed_at")}
        if facts.product_sku:
            self.product_rows.append(
                {**common, "id": new_id(), "sku": facts.product_sku, "name": (event.title or facts.product_sku)[:256]}
                | {"url": event.url, "price": None, "currency": None, "category": facts.section}
            )
        if facts.search_query:
            self.search_rows.append({**common, "id": new_id(), "query": facts.search_query})
        visit["page_count"] += 1
        visitor["pages_viewed"] += 1
        if visitor["page_started_at"] is None or at >= visitor["page_started_at"]:
            visitor.update(
                current_url=event.url, current_title=event.title, current_section=facts.section, page_started_at=at
            )
        self._touch(visitor, at)
        self._watch_burst(visitor, at)
        if not visitor["is_robot"]:
            view = PageView(
                page_view_id=row["id"],
                visitor_id=vid,
                visit_id=row["visit_id"],
                url=row["url"],
                title=row["title"],
                viewed_at=at,
            )
            self.page_events.setdefault((visitor["account_id"], visitor["site_id"]), []).append(view)

    def _visit_for(
        self, submission: Submission, visitor: dict[str, Any], event: PageviewEvent, at: datetime
    ) -> dict[str, Any]:
        current = self.visits.get(visitor["current_visit_id"] or "")
        if current is not None and at - visitor["last_seen_at"] < VISIT_IDLE:
            return current
        place = self.enricher.place(submission.caller.ip, submission.user_agent)
        utm = utm_of(event.url)
        arrival = arrived_via(event.url, event.referrer)
        visit = {
            "id": new_id(),
            "visitor_id": visitor["id"],
            "account_id": visitor["account_id"],
            "site_id": visitor["site_id"],
            "started_at": at,
            "last_activity_at": at,
            "landing_url": event.url,
            "referrer": event.referrer,
            "page_count": 0,
            "arrived_kind": arrival.kind,
            "arrived_source": arrival.source,
            "keywords": arrival.keywords,
            "utm": utm.model_dump() if utm else None,
            "ip": submission.caller.ip,
            "location": place.location,
            "device": place.device,
        }
        self.visits[visit["id"]] = visit
        self.new_visits.add(visit["id"])
        visitor["current_visit_id"] = visit["id"]
        visitor["visit_count"] += 1
        return visit

    def _watch_burst(self, visitor: dict[str, Any], at: datetime) -> None:
        """More than `robot_pages` page views within `robot_window`: a person does not read that fast."""
        started = visitor["burst_started_at"]
        if started is None or at - started > self.robot_window:
            visitor["burst_started_at"] = at
            visitor["burst_pages"] = 0
        visitor["burst_pages"] += 1
        if visitor["burst_pages"] > self.robot_pages and not visitor["is_robot"]:
            visitor["is_robot"] = True
            visitor["robot_reason"] = "behaviour"
            self.changes.robots.add((visitor["account_id"], visitor["id"]))
            payload = VisitorRobotDetected(
                site_id=visitor["site_id"], visitor_id=visitor["id"], reason="behaviour", detected_at=at
            )
            self.events.append((payload, visitor["account_id"]))

    async def store(self, session: AsyncConnection) -> None:
        new_visits = [self.visits[v] for v in self.new_visits]
        if new_visits:
            await session.execute(insert(visits), new_visits)
        old_visits = [
            {"b_id": v["id"], "b_last": v["last_activity_at"], "b_count": v["page_count"]}
            for vid, v in self.visits.items()
            if vid not in self.new_visits and v["visitor_id"] in self.changes.updated
        ]
        if old_visits:
            statement = (
                update(visits)
                .where(visits.c.id == bindparam("b_id"))
                .values(last_activity_at=bindparam("b_last"), page_count=bindparam("b_count"))
            )
            await session.execute(statement, old_visits)
        # New pages only: those stored before were found in `load`, after the visitors' rows were locked.
        await insert_rows(session, page_views, list(self.page_rows.values()) + self.anonymous_pages)
        if self.engagement:
            spent = func.coalesce(page_views.c.time_spent_seconds, 0.0)
            statement = (
                update(page_views)
                .where(page_views.c.visitor_id == bindparam("b_visitor"), page_views.c.page_key == bindparam("b_key"))
                .values(
                    time_spent_seconds=case(
                        (spent < bindparam("b_spent"), bindparam("b_spent")), else_=page_views.c.time_spent_seconds
                    )
                )
            )
            rows = [{"b_visitor": v, "b_key": k, "b_spent": s} for (v, k), s in self.engagement.items()]
            await session.execute(statement, rows)
        await insert_rows(session, products_viewed, self.product_rows)
        await insert_rows(session, searches, self.search_rows)
        await self._store_visitors(session)
        for (account_id, site_id), views in self.page_events.items():
            for start in range(0, len(views), PAGES_PER_EVENT):
                page = PageviewsRecorded(site_id=site_id, page_views=views[start : start + PAGES_PER_EVENT])
                self.events.append((page, account_id))
        await add_events(session, outbox, self.events)
        self.changes.visitors = {vid: self.visitors[vid] for vid in self.changes.updated}
        self.changes.visits = self.visits

    async def _store_visitors(self, session: AsyncConnection) -> None:
        fields = (
            "last_seen_at",
            "visit_count",
            "pages_viewed",
            "current_visit_id",
            "current_url",
            "current_title",
            "current_section",
            "page_started_at",
            "attributes",
            "is_robot",
            "robot_reason",
            "burst_started_at",
            "burst_pages",
        )
        rows = [
            {"b_id": vid, **{f"b_{name}": self.visitors[vid][name] for name in fields}} for vid in self.changes.updated
        ]
        if rows:
            statement = (
                update(visitors)
                .where(visitors.c.id == bindparam("b_id"))
                .values({name: bindparam(f"b_{name}") for name in fields})
            )
            await session.execute(statement, rows)


@dataclass
class Problem:
    code: str
    message: str

    def with_index(self, index: int) -> RejectedEvent:
        return RejectedEvent(index=index, code=self.code, message=self.message)
