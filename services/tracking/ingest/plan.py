"""What one ingest transaction writes, worked out in memory: no database here, so it is unit-tested alone.

The writer first reads what the batch touches (`Loaded`: the visitors' rows, created if missing, their
current visits, the page ids stored before, each site's URL patterns); `BatchPlan.apply` then goes through
every submission's events in order and fills in the rows to insert and update, the events to publish,
what changed for the live list and the events it drops, by reason (`DROP_REASONS`, docs/api.md).
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from services.common.events import Event, EventPayload, PageviewsRecorded, VisitorRobotDetected
from services.common.ids import new_ids
from services.common.tokens import Identity
from services.common.track_events import (
    AttributesEvent,
    CheckedEvent,
    EngagementEvent,
    ExitIntentEvent,
    PageviewEvent,
    ProductEvent,
    SearchEvent,
    SiteEventEvent,
    TrackEvent,
)
from services.tracking.arrival import arrived_via, utm_of
from services.tracking.enrichment import Place
from services.tracking.patterns import SitePatterns

VISIT_IDLE = timedelta(minutes=30)
PAGES_PER_EVENT = 500  # page views in one `pageviews.recorded` event at most
SITE_EVENTS_PER_SUBMISSION = 20  # site events and exit intents passed on per request of a visitor, at most
ID_BLOCK = 64  # row ids taken at a time (`new_ids`): a page view's id cost 3-4 us one by one

# Why an event the gateway accepted (202) is not stored: the label of `fw_tracking_events_dropped_total`.
UNKNOWN_SITE = "unknown_site"  # the batch's site is not one tracking knows for the visitor's account
VISITOR_OF_ANOTHER_SITE = "visitor_of_another_site"  # the visitor id is stored for another site or account
UNKNOWN_PAGE = "unknown_page"  # an engagement for a page id never stored
NO_PAGE_VIEW = "no_page_view"  # a product or search before the visitor's first page view
INVALID_EVENT = "invalid_event"  # the event does not pass the event models (say, a newer gateway's)
TOO_MANY_SITE_EVENTS = "too_many_site_events"  # past `SITE_EVENTS_PER_SUBMISSION` in one request
MALFORMED_BATCH = "malformed_batch"  # the `track.batch` event itself is not one (counted once)
DROP_REASONS = (
    UNKNOWN_SITE,
    VISITOR_OF_ANOTHER_SITE,
    UNKNOWN_PAGE,
    NO_PAGE_VIEW,
    INVALID_EVENT,
    MALFORMED_BATCH,
    TOO_MANY_SITE_EVENTS,
)

# The columns of a visitor row an ingest batch changes.
VISITOR_FIELDS = (
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


@dataclass
class Submission:
    """One `track.batch` event's events (one request of one visitor at the edge)."""

    caller: Identity
    user_agent: str | None
    received_at: datetime
    events: list[CheckedEvent]

    @property
    def visitor_id(self) -> str:
        return self.caller.visitor_id or ""

    @property
    def site_id(self) -> str:
        return self.caller.site_id or ""


@dataclass
class Changes:
    """What a committed ingest batch changed, for the live list."""

    updated: set[str] = field(default_factory=set)  # visitor ids whose rows changed
    robots: set[tuple[str, str]] = field(default_factory=set)  # (account, visitor) newly found to be robots
    visitors: dict[str, dict[str, Any]] = field(default_factory=dict)  # the rows as written
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)


_TIME = TypeAdapter(datetime)


class PagesRecorded(PageviewsRecorded):
    """`pageviews.recorded` as the plan makes it: its page views are the plan's dicts, every `PageView` field
    set by the plan from checked values, so they are not validated again; `to_event` gives the payload that
    `PageviewsRecorded.to_event` gives (the same JSON). Validating and dumping 500 `PageView`s was a tenth of
    the plan's CPU."""

    def to_event(self, account_id: str) -> Event:
        views: list[dict[str, Any]] = self.page_views  # type: ignore[assignment]  # the plan's dicts
        seen: list[dict[str, Any]] = self.site_events  # type: ignore[assignment]
        payload = {
            "site_id": self.site_id,
            "page_views": [{**view, "viewed_at": _TIME.dump_python(view["viewed_at"], mode="json")} for view in views],
            "site_events": [{**event, "at": _TIME.dump_python(event["at"], mode="json")} for event in seen],
        }
        return Event(type=self.TYPE, version=self.VERSION, account_id=account_id, payload=payload)


def on_known_sites(batch: list[Submission], owners: dict[str, str]) -> tuple[list[Submission], Counter[str]]:
    """The submissions whose site tracking knows to belong to the visitor's account (`owners`: site id ->
    account id), and the events of the others, dropped."""
    kept: list[Submission] = []
    dropped: Counter[str] = Counter()
    for submission in batch:
        if owners.get(submission.site_id) == submission.caller.account_id and submission.visitor_id:
            kept.append(submission)
        else:
            dropped[UNKNOWN_SITE] += len(submission.events)
    return kept, dropped


def new_visitor_rows(batch: list[Submission]) -> list[dict[str, Any]]:
    """A row for each visitor of the batch, for those not stored yet (first seen at their first event)."""
    first: dict[str, Submission] = {}
    for submission in batch:
        first.setdefault(submission.visitor_id, submission)
    return [
        {
            "id": visitor_id,
            "account_id": s.caller.account_id,
            "site_id": s.site_id,
            "first_seen_at": s.events[0][2],
            "last_seen_at": s.events[0][2],
            "visit_count": 0,
            "pages_viewed": 0,
            "is_robot": bool(s.caller.robot),
            "robot_reason": s.caller.robot,
            "burst_pages": 0,
        }
        for visitor_id, s in sorted(first.items())
    ]


def page_keys(batch: list[Submission]) -> set[tuple[str, str]]:
    """(visitor, page id) of every page view and engagement that names its page."""
    return {
        (s.visitor_id, e.page_id)
        for s in batch
        for _, e, _ in s.events
        if isinstance(e, PageviewEvent | EngagementEvent) and e.page_id
    }


@dataclass
class Loaded:
    """What the writer read for a batch, in its transaction."""

    visitors: dict[str, dict[str, Any]]  # every visitor of the batch (locked)
    visits: dict[str, dict[str, Any]]  # their current visits
    known_pages: dict[tuple[str, str], float | None]  # (visitor, page id) stored before: time spent
    patterns: dict[str, SitePatterns]  # by site id


PlaceOf = Callable[[str | None, str | None], Place]  # (ip, user agent) -> location and device


class BatchPlan:
    """The rows one batch writes; `apply` works them out in memory."""

    def __init__(self, loaded: Loaded, place_of: PlaceOf, robot_pages: int, robot_seconds: float) -> None:
        self.place_of = place_of
        self.robot_pages = robot_pages
        self.robot_window = timedelta(seconds=robot_seconds)
        self.visitors = loaded.visitors
        self.visits = loaded.visits  # current visits read, and new ones
        self.known_pages = loaded.known_pages
        self.patterns = loaded.patterns
        self.new_visits: set[str] = set()
        self.page_rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.anonymous_pages: list[dict[str, Any]] = []
        self.engagement: dict[tuple[str, str], float] = {}
        self.product_rows: list[dict[str, Any]] = []
        self.search_rows: list[dict[str, Any]] = []
        self.events: list[tuple[EventPayload, str]] = []  # (payload, account) for the outbox
        # (account, site): the `PageView`s of its event, as dicts (`PagesRecorded`); its `SiteEventSeen`s
        self.page_events: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.site_events: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.previous_seen: dict[str, datetime] = {}  # visit id -> the visitor's last activity before it
        self._submission_site_events = 0
        self.changes = Changes()
        self.dropped: Counter[str] = Counter()
        self._ids: list[str] = []

    def new_id(self) -> str:
        """A row id (UUIDv7), in increasing order through the batch."""
        if not self._ids:
            self._ids = new_ids(ID_BLOCK)
            self._ids.reverse()
        return self._ids.pop()

    def apply(self, batch: list[Submission]) -> None:
        for submission in batch:
            visitor = self.visitors[submission.visitor_id]
            if visitor["account_id"] != submission.caller.account_id or visitor["site_id"] != submission.site_id:
                self.dropped[VISITOR_OF_ANOTHER_SITE] += len(submission.events)
                continue
            self._submission_site_events = 0
            for _, event, at in submission.events:
                problem = self._apply_event(submission, visitor, event, at)
                if problem:
                    self.dropped[problem] += 1
        for key in [*self.page_events, *(k for k in self.site_events if k not in self.page_events)]:
            account_id, site_id = key
            views = self.page_events.get(key, [])
            self._with_attributes(views)
            seen: Any = self.site_events.get(key, [])  # the plan's dicts, in the site's first event
            for start in range(0, max(len(views), 1), PAGES_PER_EVENT):
                chunk: Any = views[start : start + PAGES_PER_EVENT]  # the plan's dicts (`PagesRecorded`)
                page = PagesRecorded.model_construct(site_id=site_id, page_views=chunk, site_events=seen)
                self.events.append((page, account_id))
                seen = []
        self.changes.visitors = {vid: self.visitors[vid] for vid in self.changes.updated}
        self.changes.visits = self.visits

    def _with_attributes(self, views: list[dict[str, Any]]) -> None:
        """Each visitor's custom attributes as the batch leaves them, and their visit's context (`VisitContext`),
        on their last page view of the event (the segments and rules test them; once per visitor keeps the event
        small)."""
        last: dict[str, dict[str, Any]] = {}
        for view in views:
            last[view["visitor_id"]] = view
        for visitor_id, view in last.items():
            view["attributes"] = self.visitors[visitor_id]["attributes"] or {}
            visit = self.visits.get(view["visit_id"])
            if visit is not None:
                view["visit"] = self._context(visit)

    def _context(self, visit: dict[str, Any]) -> dict[str, Any]:
        """A `VisitContext` of a visit row, as JSON (its fields only: `PagesRecorded` does not validate it)."""
        location, device, utm = visit.get("location") or {}, visit.get("device") or {}, visit.get("utm") or {}
        previous = self.previous_seen.get(visit["id"])
        return {
            "referrer": visit.get("referrer"),
            "arrived_via": visit.get("arrived_kind"),
            "search_keywords": visit.get("keywords"),
            "utm": {k: v for k, v in utm.items() if isinstance(v, str) and v},
            "country_code": location.get("country_code"),
            "country": location.get("country"),
            "region": location.get("region"),
            "city": location.get("city"),
            "device_class": device.get("device_class"),
            "browser": device.get("browser"),
            "os": device.get("os"),
            "previous_visit_at": None if previous is None else _TIME.dump_python(previous, mode="json"),
            "started_at": _TIME.dump_python(visit["started_at"], mode="json"),
        }

    # --- what `apply` leaves to write -------------------------------------------------------------------

    def new_visit_rows(self) -> list[dict[str, Any]]:
        return [self.visits[v] for v in self.new_visits]

    def visit_updates(self) -> list[dict[str, Any]]:
        """`b_id, b_last, b_count` of the visits read that changed."""
        return [
            {"b_id": v["id"], "b_last": v["last_activity_at"], "b_count": v["page_count"]}
            for vid, v in self.visits.items()
            if vid not in self.new_visits and v["visitor_id"] in self.changes.updated
        ]

    def new_page_rows(self) -> list[dict[str, Any]]:
        """New page views only: those stored before were found in `Loaded`, read after the visitors were locked."""
        return list(self.page_rows.values()) + self.anonymous_pages

    def time_spent_updates(self) -> list[dict[str, Any]]:
        return [{"b_visitor": v, "b_key": k, "b_spent": s} for (v, k), s in self.engagement.items()]

    def visitor_updates(self) -> list[dict[str, Any]]:
        """`b_id` and `b_<field>` of each changed visitor, for each of `VISITOR_FIELDS`."""
        return [
            {"b_id": vid, **{f"b_{name}": self.visitors[vid][name] for name in VISITOR_FIELDS}}
            for vid in sorted(self.changes.updated)
        ]

    # --- one event ------------------------------------------------------------------------------------------

    def _apply_event(
        self, submission: Submission, visitor: dict[str, Any], event: TrackEvent, at: datetime
    ) -> str | None:
        """Apply one event; returns why it is dropped, if it is."""
        if isinstance(event, PageviewEvent):
            self._pageview(submission, visitor, event, at)
        elif isinstance(event, AttributesEvent):
            merged = dict(visitor["attributes"] or {})
            for name, value in event.attributes.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            visitor["attributes"] = merged
            self._touch(visitor, at)
        elif isinstance(event, EngagementEvent):
            key = (visitor["id"], event.page_id)
            if key in self.page_rows:
                row = self.page_rows[key]
                row["time_spent_seconds"] = max(row["time_spent_seconds"] or 0.0, event.visible_seconds)
            elif key in self.known_pages:
                self.engagement[key] = max(self.engagement.get(key, 0.0), event.visible_seconds)
            else:
                return UNKNOWN_PAGE
            self._touch(visitor, at)
        elif isinstance(event, SiteEventEvent | ExitIntentEvent):
            return self._site_event(visitor, event, at)
        else:
            return self._item(visitor, event, at)
        return None

    def _site_event(self, visitor: dict[str, Any], event: SiteEventEvent | ExitIntentEvent, at: datetime) -> str | None:
        """A site event or exit intent, in the visitor's current visit: passed on to the rules, not stored."""
        if not visitor["current_visit_id"]:
            return NO_PAGE_VIEW
        if self._submission_site_events >= SITE_EVENTS_PER_SUBMISSION:
            return TOO_MANY_SITE_EVENTS
        self._submission_site_events += 1
        self._touch(visitor, at)
        if not visitor["is_robot"]:
            name = event.name if isinstance(event, SiteEventEvent) else None
            seen = {
                "visitor_id": visitor["id"],
                "visit_id": visitor["current_visit_id"],
                "kind": "exit_intent" if name is None else "event",
                "name": name,
                "at": at,
            }
            self.site_events.setdefault((visitor["account_id"], visitor["site_id"]), []).append(seen)
        return None

    def _item(self, visitor: dict[str, Any], event: ProductEvent | SearchEvent, at: datetime) -> str | None:
        """A product or search the host page reported, in the visitor's current visit."""
        visit_id = visitor["current_visit_id"]
        if not visit_id:
            return NO_PAGE_VIEW
        common = {
            "id": self.new_id(),
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
        else:
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
            "id": self.new_id(),
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
        if facts.product_sku or facts.search_query:
            common = {k: row[k] for k in ("visit_id", "visitor_id", "account_id", "site_id", "page_key", "viewed_at")}
            if facts.product_sku:
                self.product_rows.append(
                    {**common, "id": self.new_id(), "sku": facts.product_sku}
                    | {"name": (event.title or facts.product_sku)[:256], "url": event.url, "price": None}
                    | {"currency": None, "category": facts.section}
                )
            if facts.search_query:
                self.search_rows.append({**common, "id": self.new_id(), "query": facts.search_query})
        visit["page_count"] += 1
        visitor["pages_viewed"] += 1
        if visitor["page_started_at"] is None or at >= visitor["page_started_at"]:
            visitor.update(
                current_url=event.url, current_title=event.title, current_section=facts.section, page_started_at=at
            )
        self._touch(visitor, at)
        self._watch_burst(visitor, at)
        if not visitor["is_robot"]:
            view = {
                "page_view_id": row["id"],
                "visitor_id": vid,
                "visit_id": row["visit_id"],
                "url": row["url"],
                "title": row["title"],
                "viewed_at": at,
                "section": facts.section,
                "product_sku": facts.product_sku,
                "search_query": facts.search_query,
                "visit_count": visitor["visit_count"],
                "attributes": None,  # on the visitor's last page view of the event (`_with_attributes`)
                "visit": None,  # likewise
            }
            self.page_events.setdefault((visitor["account_id"], visitor["site_id"]), []).append(view)

    def _visit_for(
        self, submission: Submission, visitor: dict[str, Any], event: PageviewEvent, at: datetime
    ) -> dict[str, Any]:
        current = self.visits.get(visitor["current_visit_id"] or "")
        if current is not None and at - visitor["last_seen_at"] < VISIT_IDLE:
            return current
        previous = visitor["last_seen_at"] if visitor["visit_count"] else None  # the visit before's last activity
        place = self.place_of(submission.caller.ip, submission.user_agent)
        utm = utm_of(event.url)
        arrival = arrived_via(event.url, event.referrer)
        visit = {
            "id": self.new_id(),
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
        if previous is not None:
            self.previous_seen[visit["id"]] = previous
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
