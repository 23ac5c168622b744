"""Domain event contracts shared by all services (versioned Pydantic models).

An `Event` is the envelope carried on the bus; its `payload` is one of the models below, chosen by
`type`. Producers write events through their outbox; consumers handle each event id at most once.
Documented in docs/architecture.md (Events).
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common.db import utcnow
from services.common.ids import new_id
from services.common.tokens import Identity

P = TypeVar("P", bound="EventPayload")


class Event(BaseModel):
    id: str = Field(default_factory=new_id)
    type: str
    version: int = 1
    account_id: str
    occurred_at: datetime = Field(default_factory=utcnow)
    payload: dict[str, Any]


class EventPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def to_event(self, account_id: str) -> Event:
        return Event(type=self.TYPE, version=self.VERSION, account_id=account_id, payload=self.model_dump(mode="json"))

    @classmethod
    def from_event(cls, event: Event) -> "EventPayload":
        return cls.model_validate(event.payload)


def payloads(events: Sequence[Event], model: type[P], log: logging.Logger) -> dict[str, P]:
    """Each event's payload as `model`, by event id. A malformed one is logged and left out: retrying
    cannot fix it, and dropping it keeps the stream (and, embedded, the producer's outbox) moving."""
    found: dict[str, P] = {}
    for event in events:
        try:
            found[event.id] = model.model_validate(event.payload)
        except ValidationError:
            log.warning("dropping malformed %s event %s", event.type, event.id, exc_info=True)
    return found


class ConversationStarted(EventPayload):
    TYPE = "conversation.started"
    conversation_id: str
    site_id: str
    visitor_id: str
    channel: Literal["web", "whatsapp"] = "web"
    started_at: datetime
    # Started by accepting an invitation: which one, and its rule and variant (null for an operator's call).
    invitation_id: str | None = None
    rule_id: str | None = None
    variant: str | None = None
    queue_chosen: bool = False  # the visitor picked its queue (a topic): a rule's `route_to_queue` leaves it


class ConversationRouteRequested(EventPayload):
    """A rule that fired for the visitor this visit routes to a queue (`route_to_queue`), and the visitor started a
    chat by themselves (the rules service, straight on the bus, on `conversation.started`): chat moves the chat to
    that queue while it waits, unassigned (`services/chat/routing/rule_queue.py`)."""

    TYPE = "conversation.route_requested"
    conversation_id: str
    visitor_id: str
    queue_id: str
    rule_id: str
    at: datetime


class ConversationAccepted(EventPayload):
    TYPE = "conversation.accepted"
    conversation_id: str
    user_id: str
    accepted_at: datetime
    waited_seconds: float


class ConversationClosed(EventPayload):
    TYPE = "conversation.closed"
    conversation_id: str
    closed_by: Literal["visitor", "operator", "system"]
    closed_at: datetime
    reason: Literal["closed", "abandoned"] = "closed"  # abandoned: its visitor left while it waited
    missed: bool = False  # closed without any operator reply


class ConversationRated(EventPayload):
    """A visitor rated a closed conversation (EMB-10, chat's `ratings.py`): once per conversation."""

    TYPE = "conversation.rated"
    conversation_id: str
    visitor_id: str
    score: int  # 1 (very bad) .. 5 (very good)
    has_comment: bool
    rated_at: datetime


class MessageCreated(EventPayload):
    TYPE = "message.created"
    conversation_id: str
    message_id: str
    seq: int
    sender_type: Literal["visitor", "operator", "system"]
    sender_id: str | None
    text_length: int
    created_at: datetime


class PageviewRecorded(EventPayload):
    TYPE = "pageview.recorded"
    page_view_id: str
    site_id: str
    visitor_id: str
    visit_id: str
    url: str
    title: str
    viewed_at: datetime


class VisitContext(BaseModel):
    """A visit as tracking stored it (where the visitor came from, where they are, on what): what the rules test for
    referrer, arrival, search keywords, UTM, location and device. On each visitor's last page view of a
    `pageviews.recorded` event (once per visitor per event); None in older events (not known)."""

    referrer: str | None = None
    arrived_via: str | None = None  # direct, search, social, campaign, referral, internal
    search_keywords: str | None = None
    utm: dict[str, str] = Field(default_factory=dict)  # source, medium, campaign, term, content: those set
    country_code: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    device_class: str | None = None
    browser: str | None = None
    os: str | None = None
    # The last activity of the visitor's visit before this one: only in the event of the batch that started this
    # visit (None otherwise, or on a first visit).
    previous_visit_at: datetime | None = None
    # When the visit started (tracking's visit row, UTC): what "time on site" counts from, also for a live state
    # the rules build afresh mid-visit (None in older events: not known).
    started_at: datetime | None = None


class SiteEventSeen(BaseModel):
    """A site event (`Floorwalker('event', name)`, `kind` event) or an exit intent (`kind` exit_intent, no name)
    the widget reported, in `pageviews.recorded`: passed on, not stored."""

    visitor_id: str
    visit_id: str
    kind: Literal["event", "exit_intent"] = "event"
    name: str | None = None
    at: datetime


class PageView(BaseModel):
    """One page view inside `pageviews.recorded`."""

    page_view_id: str
    visitor_id: str
    visit_id: str
    url: str
    title: str
    viewed_at: datetime
    # What tracking made of the URL with the site's patterns (services/tracking/patterns.py); absent from
    # older events (None: not known, or none).
    section: str | None = None
    product_sku: str | None = None
    search_query: str | None = None
    # The visitor as tracking knows them when the batch was stored: their visit count and custom attributes
    # (what segments and rules test; None in older events: not known).
    visit_count: int | None = None
    attributes: dict[str, str | int | float | bool | None] | None = None
    visit: VisitContext | None = None  # on the visitor's last page view of the event, like `attributes`


class PageviewsRecorded(EventPayload):
    """The page views of one site stored together by one ingest batch (at most 500; robots' left out).

    Tracking publishes this instead of one `pageview.recorded` per page: one outbox row, one stream entry
    and one consumer step for many pages. Consumers still accept `pageview.recorded` (older producers).
    """

    TYPE = "pageviews.recorded"
    site_id: str
    page_views: list[PageView]
    # The batch's site events and exit intents, in the first event of the site's batch (an event may have only
    # these); absent from older events.
    site_events: list[SiteEventSeen] = Field(default_factory=list)


class VisitorRobotDetected(EventPayload):
    """A visitor's behaviour (pages per second) showed a robot; it leaves the live list and reports."""

    TYPE = "visitor.robot_detected"
    site_id: str
    visitor_id: str
    reason: str
    detected_at: datetime


class VisitorErased(EventPayload):
    """Everything about a visitor was deleted on request (data protection): forget them too."""

    TYPE = "visitor.erased"
    visitor_id: str
    erased_at: datetime


class SiteState(EventPayload):
    """What the other services know of a site (the envelope's `account_id` owns it). Never its secret."""

    site_id: str
    site_key: str
    name: str
    domains: list[str]
    allowed_origins: list[str]


class SiteCreated(SiteState):
    """The gateway created a site."""

    TYPE = "site.created"


class SiteUpdated(SiteState):
    """A site's name, domains, allowed origins or key changed: the full new state, not a diff."""

    TYPE = "site.updated"


class SiteDeleted(SiteState):
    """A site was deleted (its last state): it and everything of it belong to nobody now."""

    TYPE = "site.deleted"


class TrackBatchReceived(EventPayload):
    """A visitor's checked events, accepted at the edge (`POST /api/v1/track/events`) and handed to tracking
    through the bus (durable: Redis Streams when distributed); the ids and times are fixed, so a redelivery
    stores nothing twice. The event models are in `services/common/track_events.py`."""

    TYPE = "track.batch"
    visitor: Identity
    user_agent: str | None
    received_at: datetime
    events: list[dict[str, Any]]  # the checked events as sent; one without `at` happened at `received_at`

    @classmethod
    def of(
        cls,
        visitor: Identity,
        user_agent: str | None,
        received_at: datetime,
        raw: list[dict[str, Any]],
        kept: Sequence[int],
    ) -> "TrackBatchReceived":
        """The events of `raw` at the indices `kept` (those the edge accepted), as they were sent: no second
        validation here."""
        events = raw if len(kept) == len(raw) else [raw[index] for index in kept]
        return cls.model_construct(visitor=visitor, user_agent=user_agent, received_at=received_at, events=events)

    def to_event(self, account_id: str) -> Event:
        """The events are JSON as they were sent: only the rest is converted."""
        payload = self.model_dump(mode="json", exclude={"events"})
        payload["events"] = self.events
        return Event(type=self.TYPE, version=self.VERSION, account_id=account_id, payload=payload)


class OperatorPresenceChanged(EventPayload):
    """One operator's presence as chat keeps it (ROUTE-2), in the envelope's account: published by chat through
    its outbox whenever the status, the capacity, the load or the queues of the operator change (the newest
    `at` wins). `available`: online with room for one more chat. What the rules take for "operators online"
    and "an operator free in a queue"; the routing reads chat's own tables instead."""

    TYPE = "operator.presence_changed"
    user_id: str
    status: str  # online | away | break | phone | offline
    max_chats: int
    active_chats: int
    queue_ids: list[str]
    at: datetime

    @property
    def available(self) -> bool:
        return self.status == "online" and self.active_chats < self.max_chats


class VisitorTagged(EventPayload):
    """A rule's `tag_visitor` action fired (the rules service, straight on the bus): the visitor carries these
    tags from now on (the rules keep them in the live state; tracking may store them on the visitor)."""

    TYPE = "visitor.tagged"
    site_id: str
    visitor_id: str
    tags: list[str]
    rule_id: str
    at: datetime


class VisitorSegmentChanged(EventPayload):
    """A live visitor's segment changed (SEG-1; the rules service, through its outbox): the segment they are
    in from `at` on, or none (`segment_id` null). Consumers keep the newest `at`."""

    TYPE = "visitor.segment_changed"
    site_id: str
    visitor_id: str
    segment_id: str | None
    segment_name: str | None
    at: datetime


class InvitationEvent(EventPayload):
    """What happened to one invitation on the visitor's screen (the gateway, from the visitor's socket).

    `rule_id` and `variant` are those of the rule that offered it; both null for an operator's call, which
    names the operator (`operator_id`). Consumers count shows, acceptances and chats per rule and variant.
    """

    invitation_id: str
    site_id: str
    visitor_id: str
    rule_id: str | None = None
    variant: str | None = None
    operator_id: str | None = None
    at: datetime


class InvitationShown(InvitationEvent):
    """The widget showed it (the bubble, or the chat window it opened): once per invitation."""

    TYPE = "invitation.shown"


class InvitationAccepted(InvitationEvent):
    """The visitor accepted it: `conversation_id` is the conversation it started (or the open one)."""

    TYPE = "invitation.accepted"
    conversation_id: str


class InvitationClosed(InvitationEvent):
    """The visitor closed it without accepting."""

    TYPE = "invitation.closed"


class InvitationExpired(InvitationEvent):
    """Nobody answered it in its lifetime; `shown` says whether the widget had shown it."""

    TYPE = "invitation.expired"
    shown: bool


PAYLOADS: dict[str, type[EventPayload]] = {
    cls.TYPE: cls
    for cls in (
        ConversationStarted,
        ConversationRouteRequested,
        ConversationAccepted,
        ConversationClosed,
        MessageCreated,
        PageviewRecorded,
        PageviewsRecorded,
        VisitorRobotDetected,
        VisitorErased,
        TrackBatchReceived,
        SiteCreated,
        SiteUpdated,
        SiteDeleted,
        InvitationShown,
        InvitationAccepted,
        InvitationClosed,
        InvitationExpired,
        OperatorPresenceChanged,
        VisitorTagged,
        VisitorSegmentChanged,
    )
}
