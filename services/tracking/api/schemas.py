"""Request and response bodies of the tracking API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_EVENTS = 50


class PageviewEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["pageview"]
    url: str = Field(max_length=2048)
    title: str = Field(default="", max_length=512)
    referrer: str | None = Field(default=None, max_length=2048)

    @field_validator("url")
    @classmethod
    def absolute_http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value


class TrackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[PageviewEvent] = Field(min_length=1, max_length=MAX_EVENTS)


class Accepted(BaseModel):
    accepted: int


class VisitorOut(BaseModel):
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
    page_views: list[PageViewOut]
