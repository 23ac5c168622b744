"""Request and response bodies of the tracking API (docs/api.md, Tracking)."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

MAX_EVENTS = 100
MAX_BODY_BYTES = 65_536
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 512
MAX_ATTRIBUTES = 50
# Whitespace and control characters never appear in a URL a browser reports (`location.href` encodes them).
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
PAGE_ID = r"^[A-Za-z0-9_-]{8,64}$"
AttributeValue = str | int | float | bool | None


def absolute_http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError("must be an absolute http(s) URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or _NOT_IN_URL.search(value):
        raise ValueError("must be an absolute http(s) URL")
    return value


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: datetime | None = Field(default=None, description="When it happened (client clock); omitted = arrival.")


class PageviewEvent(_Event):
    """One page the visitor opened (one per page and per single-page-app navigation)."""

    type: Literal["pageview"]
    page_id: str | None = Field(default=None, pattern=PAGE_ID, description="Client-made id of this page view.")
    url: str = Field(max_length=MAX_URL_LENGTH, description="Absolute http(s) URL of the page.")
    title: str = Field(default="", max_length=MAX_TITLE_LENGTH)
    referrer: str | None = Field(default=None, max_length=MAX_URL_LENGTH)

    @field_validator("url")
    @classmethod
    def url_is_absolute_http(cls, value: str) -> str:
        return absolute_http_url(value)

    @field_validator("title", mode="before")
    @classmethod
    def no_title_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("referrer")
    @classmethod
    def empty_referrer_is_none(cls, value: str | None) -> str | None:
        return value or None


class EngagementEvent(_Event):
    """How long a page was actually visible; the largest value sent for a page wins."""

    type: Literal["engagement"]
    page_id: str = Field(pattern=PAGE_ID)
    visible_seconds: float = Field(ge=0, le=86_400)


class ProductEvent(_Event):
    type: Literal["product"]
    page_id: str | None = Field(default=None, pattern=PAGE_ID)
    sku: str | None = Field(default=None, max_length=128)
    name: str = Field(min_length=1, max_length=256)
    url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    price: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, max_length=8)
    category: str | None = Field(default=None, max_length=128)

    @field_validator("url")
    @classmethod
    def url_is_absolute_http(cls, value: str | None) -> str | None:
        return absolute_http_url(value) if value else None


class SearchEvent(_Event):
    type: Literal["search"]
    page_id: str | None = Field(default=None, pattern=PAGE_ID)
    query: str = Field(min_length=1, max_length=256)


class AttributesEvent(_Event):
    type: Literal["attributes"]
    attributes: dict[str, AttributeValue]

    @field_validator("attributes")
    @classmethod
    def bounded(cls, value: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
        for name, item in value.items():
            if not 1 <= len(name) <= 64:
                raise ValueError("attribute names have 1 to 64 characters")
            if isinstance(item, str) and len(item) > 256:
                raise ValueError(f"attribute {name}: at most 256 characters")
        return value


TrackEvent = Annotated[
    PageviewEvent | EngagementEvent | ProductEvent | SearchEvent | AttributesEvent, Field(discriminator="type")
]
EVENT = TypeAdapter(TrackEvent)


class TrackBatch(BaseModel):
    """The request body: only its shape is checked as a whole; each event is checked on its own."""

    model_config = ConfigDict(extra="forbid")
    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_EVENTS)


class RejectedEvent(BaseModel):
    index: int
    code: str
    message: str


class Accepted(BaseModel):
    accepted: int
    rejected: list[RejectedEvent] = Field(default_factory=list)


class IdentifyRequest(BaseModel):
    """Sent by the gateway only, after it checked the site's signature."""

    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    verified: bool


class IdentifyOut(BaseModel):
    contact_id: str
    verified: bool


class Location(BaseModel):
    country_code: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    time_zone: str | None = None


class Device(BaseModel):
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device_class: str = "other"


class ArrivedVia(BaseModel):
    kind: Literal["direct", "search", "social", "campaign", "referral", "internal"]
    source: str | None = None
    keywords: str | None = None


class Utm(BaseModel):
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    term: str | None = None
    content: str | None = None


class ContactOut(BaseModel):
    contact_id: str
    user_id: str
    email: str | None
    name: str | None
    phone: str | None
    verified: bool


class VisitorOut(BaseModel):
    """`LiveVisitor` of docs/api.md; also the `visitor` of the `visitor.updated` socket frame."""

    visitor_id: str
    site_id: str
    visit_id: str | None
    current_url: str | None
    current_title: str | None
    section: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    visit_started_at: datetime | None
    page_started_at: datetime | None
    pages_viewed: int
    visit_count: int
    returning: bool
    ip: str | None
    location: Location | None
    device: Device | None
    referrer: str | None
    arrived_via: ArrivedVia | None
    utm: Utm | None
    contact: ContactOut | None
    attributes: dict[str, AttributeValue]
    chat_state: Literal["none", "waiting", "active"]


class GeoInfo(BaseModel):
    database: str | None
    attribution: str | None
    attribution_url: str | None


class LiveVisitors(BaseModel):
    visitors: list[VisitorOut]
    geo: GeoInfo


class PageViewOut(BaseModel):
    page_id: str | None
    url: str
    title: str
    section: str | None
    viewed_at: datetime
    time_spent_seconds: float | None


class VisitOut(BaseModel):
    visit_id: str
    started_at: datetime
    last_activity_at: datetime
    landing_url: str
    referrer: str | None
    arrived_via: ArrivedVia | None
    utm: Utm | None
    page_count: int
    ip: str | None
    location: Location | None
    device: Device | None
    pages: list[PageViewOut]


class ProductOut(BaseModel):
    sku: str | None
    name: str
    url: str | None
    price: float | None
    currency: str | None
    category: str | None
    viewed_at: datetime


class SearchOut(BaseModel):
    query: str
    viewed_at: datetime


class VisitorDetail(VisitorOut):
    is_robot: bool
    robot_reason: str | None
    visits: list[VisitOut] = Field(description="Most recent first, at most 20.")
    products: list[ProductOut]
    searches: list[SearchOut]


def url_path_pattern(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError("a pattern is a URL path starting with /, e.g. /informatica/*")
    if re.search(r"\{(?!sku\})", value) or value.count("{sku}") > 1:
        raise ValueError("the only placeholder is {sku}, at most once")
    return value


class _Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("pattern", check_fields=False)
    @classmethod
    def is_url_path(cls, value: str) -> str:
        return url_path_pattern(value)


class SectionPattern(_Pattern):
    name: str = Field(min_length=1, max_length=120)
    pattern: str = Field(min_length=1, max_length=300)


class ProductPattern(_Pattern):
    pattern: str = Field(min_length=1, max_length=300, description="A URL path; `{sku}` captures one segment.")


class SearchPattern(_Pattern):
    pattern: str = Field(min_length=1, max_length=300)
    param: str = Field(min_length=1, max_length=64)


class TrackingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: list[SectionPattern] = Field(default_factory=list, max_length=200)
    products: list[ProductPattern] = Field(default_factory=list, max_length=50)
    searches: list[SearchPattern] = Field(default_factory=list, max_length=50)
    retention_days: int | None = Field(default=None, ge=1, le=3650)
