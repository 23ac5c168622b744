"""What the widget sends to `POST /api/v1/track/events` (docs/api.md, Tracking), checked at the edge.

Shared by the gateway, which checks each event and hands the valid ones on as a `track.batch` event
(`events.TrackBatchReceived`), and the tracking service, which stores them.
"""

import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from services.common.errors import BadRequest, PayloadTooLarge

MAX_EVENTS = 100
MAX_BODY_BYTES = 65_536
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 512
MAX_ATTRIBUTES = 50
# Whitespace and control characters never appear in a URL a browser reports (`location.href` encodes them).
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
PAGE_ID = r"^[A-Za-z0-9_-]{8,64}$"
AttributeValue = str | int | float | bool | None


# The URLs browsers report, in the plain form nearly all take (a host of letters, digits, dots and dashes, a
# port of at most four digits): accepted without splitting them. Any other string gets the full check.
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,4})?(?:[/?#][^\s\x00-\x1f\x7f]*)?\Z")


def absolute_http_url(value: str) -> str:
    if _PLAIN_HTTP_URL.match(value):
        return value
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


SITE_EVENT_NAME = r"^[A-Za-z0-9_.:-]{1,64}$"


class SiteEventEvent(_Event):
    """A site event the host page reported (`Floorwalker('event', 'added_to_cart')`): passed to the rules, not stored."""

    type: Literal["event"]
    page_id: str | None = Field(default=None, pattern=PAGE_ID)
    name: str = Field(pattern=SITE_EVENT_NAME, description="1-64 characters of `[A-Za-z0-9_.:-]`.")


class ExitIntentEvent(_Event):
    """The visitor looks like leaving (the pointer left the window): passed to the rules, not stored."""

    type: Literal["exit_intent"]
    page_id: str | None = Field(default=None, pattern=PAGE_ID)


TrackEvent = Annotated[
    PageviewEvent | EngagementEvent | ProductEvent | SearchEvent | AttributesEvent | SiteEventEvent | ExitIntentEvent,
    Field(discriminator="type"),
]
EVENT = TypeAdapter(TrackEvent)
EVENTS = TypeAdapter(list[TrackEvent])


class TrackBatch(BaseModel):
    """The request body: only its shape is checked as a whole; each event is checked on its own."""

    model_config = ConfigDict(extra="forbid")
    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_EVENTS)
    visitor_token: str | None = Field(
        default=None,
        max_length=4096,
        description="The visitor token, for a beacon (`sendBeacon` sets no headers); else `Authorization: Bearer`.",
    )


class RejectedEvent(BaseModel):
    index: int
    code: str
    message: str


class Accepted(BaseModel):
    accepted: int
    rejected: list[RejectedEvent] = Field(default_factory=list)


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"A batch may have at most {MAX_BODY_BYTES} bytes.", code="body_too_large")


async def read_body(request: Request) -> bytes:
    """The request body, refused as soon as it is known to pass `MAX_BODY_BYTES` (by its declared length,
    else while it arrives): a sender of huge bodies costs no more than the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def read_batch(body: bytes) -> TrackBatch:
    """The request body as JSON whatever its content type (`sendBeacon` sends text/plain); its shape only."""
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The body is not valid JSON.", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise BadRequest('The body must be a JSON object {"events": [...]}.', code="malformed_json")
    events = data.get("events")
    token = data.get("visitor_token")
    if (
        len(data) == (1 if token is None else 2)
        and (token is None or type(token) is str)
        and type(events) is list
        and 0 < len(events) <= MAX_EVENTS
        and all(type(e) is dict for e in events)
    ):
        return TrackBatch.model_construct(events=events, visitor_token=token)  # the shape is right
    try:
        return TrackBatch.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


FUTURE_SKEW = timedelta(minutes=5)
PAST_LIMIT = timedelta(hours=24)
CheckedEvent = tuple[int, TrackEvent, datetime]  # index in the request, the event, when it happened


def event_time(event: TrackEvent, received_at: datetime) -> datetime:
    """When an event happened: its own time, never after it arrived (a clock a little ahead), else arrival
    (also for a time without a zone, which `check_events` refuses: it cannot be compared)."""
    at = event.at
    return received_at if at is None or at.tzinfo is None or at > received_at else at


def parse_events(raw: list[dict[str, Any]]) -> list[TrackEvent | RejectedEvent]:
    """Each event as its model, or why it is refused."""
    try:
        return list(EVENTS.validate_python(raw))  # all valid: one call for the batch
    except ValidationError:
        pass
    parsed: list[TrackEvent | RejectedEvent] = []
    for index, item in enumerate(raw):
        try:
            parsed.append(EVENT.validate_python(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'][1:]) or err['loc'][0] if err['loc'] else 'event'}: {err['msg']}"
                for err in exc.errors(include_url=False)[:3]
            )
            parsed.append(RejectedEvent(index=index, code="invalid_event", message=problems))
    return parsed


def check_events(raw: list[dict[str, Any]], received_at: datetime) -> tuple[list[CheckedEvent], list[RejectedEvent]]:
    """Each event on its own: the valid ones with their time, and why the others are refused."""
    valid: list[CheckedEvent] = []
    rejected: list[RejectedEvent] = []
    for index, event in enumerate(parse_events(raw)):
        if isinstance(event, RejectedEvent):
            rejected.append(event)
            continue
        at = event.at or received_at
        if at.tzinfo is None:
            rejected.append(RejectedEvent(index=index, code="invalid_event", message="at: needs a time zone"))
            continue
        if at > received_at + FUTURE_SKEW or at < received_at - PAST_LIMIT:
            rejected.append(
                RejectedEvent(
                    index=index,
                    code="event_time_out_of_range",
                    message="at: must be within the last 24 hours and not more than 5 minutes ahead",
                )
            )
            continue
        valid.append((index, event, event_time(event, received_at)))
    return valid, rejected
