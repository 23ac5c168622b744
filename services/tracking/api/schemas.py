"""Request and response bodies of the tracking API (docs/api.md, Tracking)."""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.track_events import AttributeValue


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
    tags: list[str] = Field(default_factory=list, description="Put on the visitor by rules (`tag_visitor`).")
    segment_id: str | None = Field(
        default=None, description="The visitor's customer segment now (the rules'); null: none."
    )
    segment_name: str | None = None


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


# What `url_path_pattern` accepts, for the OpenAPI document (the validator gives the clearer message).
URL_PATH_PATTERN = r"^/[^{]*(?:\{sku\}[^{]*)?$"


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
    pattern: str = Field(min_length=1, max_length=300, json_schema_extra={"pattern": URL_PATH_PATTERN})


class ProductPattern(_Pattern):
    pattern: str = Field(
        min_length=1,
        max_length=300,
        description="A URL path; `{sku}` captures one segment.",
        json_schema_extra={"pattern": URL_PATH_PATTERN},
    )


class SearchPattern(_Pattern):
    pattern: str = Field(min_length=1, max_length=300, json_schema_extra={"pattern": URL_PATH_PATTERN})
    param: str = Field(min_length=1, max_length=64)


class TrackingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: list[SectionPattern] = Field(default_factory=list, max_length=200)
    products: list[ProductPattern] = Field(default_factory=list, max_length=50)
    searches: list[SearchPattern] = Field(default_factory=list, max_length=50)
    retention_days: int | None = Field(default=None, ge=1, le=3650)


class SiteSections(BaseModel):
    """A site's sections, for the gateway (passive mode: where the chat button shows)."""

    sections: list[SectionPattern]
