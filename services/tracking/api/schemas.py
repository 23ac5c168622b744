"""Request and response bodies of the tracking API."""

import re
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_EVENTS = 50
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 512
# Whitespace and control characters never appear in a URL a browser reports (`location.href` encodes them).
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")


def _absolute_http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError("must be an absolute http(s) URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or _NOT_IN_URL.search(value):
        raise ValueError("must be an absolute http(s) URL")
    return value


class PageviewEvent(BaseModel):
    """One page the visitor opened (the widget sends one per page and per single-page-app navigation)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["pageview"]
    url: str = Field(max_length=MAX_URL_LENGTH, description="Absolute http(s) URL of the page.")
    title: str = Field(default="", max_length=MAX_TITLE_LENGTH)
    referrer: str | None = Field(default=None, max_length=MAX_URL_LENGTH, description="`document.referrer`.")

    @field_validator("url")
    @classmethod
    def url_is_absolute_http(cls, value: str) -> str:
        return _absolute_http_url(value)

    @field_validator("title", mode="before")
    @classmethod
    def no_title_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("referrer")
    @classmethod
    def empty_referrer_is_none(cls, value: str | None) -> str | None:
        return value or None


class TrackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[PageviewEvent] = Field(min_length=1, max_length=MAX_EVENTS)


class Accepted(BaseModel):
    accepted: int


class VisitorOut(BaseModel):
    """`Visitor` of docs/api.md; also the `visitor` of the `visitor.updated` socket frame."""

    visitor_id: str
    site_id: str
    current_url: str | None
    current_title: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    page_started_at: datetime | None
    pages_viewed: int
    visit_count: int
    returning: bool


class LiveVisitors(BaseModel):
    visitors: list[VisitorOut]


class PageViewOut(BaseModel):
    url: str
    title: str
    viewed_at: datetime


class VisitorDetail(VisitorOut):
    page_views: list[PageViewOut] = Field(description="The pages of the current visit, in order.")
