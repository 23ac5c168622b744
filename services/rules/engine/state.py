"""What rules are evaluated over: a snapshot of one live visitor (`VisitorState`) and the world around them
(`EvalContext`: the time, the operators online, the queues' hours). Times are epoch seconds (floats).

`state_from_live_record` fills a `VisitorState` from tracking's live visitor record (the `LiveVisitor` JSON
of the live list and of `visitor.updated` frames); what that record does not carry yet (section times,
products, searches, site events, exit intent, segment) is given by the caller, which keeps it from the
events it sees.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.common.track_events import AttributeValue
from services.rules.engine.hours import Schedule

EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class ProductSeen:
    name: str
    sku: str | None = None
    category: str | None = None
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class SearchSeen:
    query: str
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class VisitorState:
    """One live visitor, as the rules see them. Counts and times are of the current visit unless named
    otherwise; `None` is "not known / never"."""

    visitor_id: str
    site_id: str
    account_id: str = ""
    visit_id: str | None = None
    visit_started_at: float | None = None
    page_started_at: float | None = None
    last_activity_at: float | None = None  # the visitor's last sign of life (page view, engagement, event)
    current_url: str | None = None
    current_title: str | None = None
    section: str | None = None
    section_entered_at: float | None = None  # start of the current uninterrupted stay in `section`
    section_seconds: Mapping[str, float] = field(default_factory=dict)  # time on pages already left, by section
    section_pages: Mapping[str, int] = field(default_factory=dict)  # pages viewed, by section
    pages_viewed: int = 0
    pages_viewed_total: int = 0  # over all visits
    visit_count: int = 1
    returning: bool = False
    previous_visit_at: float | None = None  # the last activity of the visit before this one
    last_chat_at: float | None = None
    chat_state: str = "none"  # none, waiting, active
    referrer: str | None = None
    arrived_via: str | None = None  # direct, search, social, campaign, referral, internal
    search_keywords: str | None = None
    utm: Mapping[str, str] = field(default_factory=dict)
    country_code: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    device_class: str | None = None
    browser: str | None = None
    os: str | None = None
    segment: str | None = None  # the id of the visitor's segment now (segments/), None: in none
    segment_name: str | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    products: Sequence[ProductSeen] = ()
    searches: Sequence[SearchSeen] = ()
    events: Mapping[str, Sequence[float]] = field(default_factory=dict)  # site event -> times, oldest first
    exit_intent_at: float | None = None
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class EvalContext:
    """The world at one evaluation. `free_in_queue`: online operators with room for a chat, per queue;
    `free_operators`: the same over all queues."""

    now: float
    operators_online: frozenset[str] = frozenset()
    free_operators: int = 0
    free_in_queue: Mapping[str, int] = field(default_factory=dict)
    queue_hours: Mapping[str, Schedule] = field(default_factory=dict)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def state_from_live_record(record: Mapping[str, Any], account_id: str = "", **known: Any) -> VisitorState:
    """A `VisitorState` from tracking's `LiveVisitor` record; `known` sets the fields the record lacks (or
    overrides it), e.g. `section_seconds`, `products`, `events`, `segment`, `last_chat_at`."""
    location = record.get("location") or EMPTY
    device = record.get("device") or EMPTY
    arrived = record.get("arrived_via") or EMPTY
    utm = {k: v for k, v in (record.get("utm") or EMPTY).items() if isinstance(v, str) and v}
    page_started = _epoch(record.get("page_started_at"))
    section = _text(record.get("section"))
    values: dict[str, Any] = {
        "visitor_id": str(record["visitor_id"]),
        "site_id": str(record["site_id"]),
        "account_id": account_id,
        "visit_id": record.get("visit_id"),
        "visit_started_at": _epoch(record.get("visit_started_at")),
        "page_started_at": page_started,
        "last_activity_at": _epoch(record.get("last_seen_at")),
        "current_url": _text(record.get("current_url")),
        "current_title": _text(record.get("current_title")),
        "section": section,
        "section_entered_at": page_started if section else None,
        "section_pages": {section: 1} if section else {},
        "pages_viewed": int(record.get("pages_viewed") or 0),
        "pages_viewed_total": int(record.get("pages_viewed") or 0),
        "visit_count": int(record.get("visit_count") or 1),
        "returning": bool(record.get("returning")),
        "chat_state": record.get("chat_state") or "none",
        "referrer": _text(record.get("referrer")),
        "arrived_via": _text(arrived.get("kind")),
        "search_keywords": _text(arrived.get("keywords")),
        "utm": utm,
        "country_code": _text(location.get("country_code")),
        "country": _text(location.get("country")),
        "region": _text(location.get("region")),
        "city": _text(location.get("city")),
        "device_class": _text(device.get("device_class")),
        "browser": _text(device.get("browser")),
        "os": _text(device.get("os")),
        "attributes": dict(record.get("attributes") or EMPTY),
    }
    values.update(known)
    return VisitorState(**values)
