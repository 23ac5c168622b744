"""Request and response bodies of departments (queues) and presence."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.chat.hours import OpeningHours

Strategy = Literal[
    "least_busy", "round_robin", "operator_priority", "cheapest_tier", "sticky", "manual", "external_webhook"
]
PresenceStatus = Literal["online", "away", "break", "phone", "offline"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueMember(Strict):
    user_id: str = Field(min_length=1, max_length=36)
    priority: int = Field(default=0, ge=0, le=1000, description="Within this queue; lower is asked first.")


class QueueIn(Strict):
    """A department: the whole of it (PUT replaces it, members included)."""

    name: str = Field(min_length=1, max_length=100)
    welcome_message: str | None = Field(default=None, max_length=2000)
    hours: OpeningHours | None = Field(default=None, description="Null: always open.")
    priority: int = Field(default=0, ge=0, le=1000, description="Across queues; lower is served first.")
    strategy: Strategy = "least_busy"
    max_wait_seconds: int = Field(default=60, ge=5, le=86400, description="Before the chat is offered elsewhere.")
    failover_queue_id: str | None = Field(default=None, min_length=1, max_length=36)
    min_gap_seconds: int = Field(
        default=0,
        ge=0,
        le=3600,
        description="An operator offered a chat less than this long ago is not offered one of this queue (0: none).",
    )
    sections: list[str] = Field(
        default_factory=list, max_length=100, description="Section names or URL prefixes where its button shows."
    )
    members: list[QueueMember] = Field(default_factory=list, max_length=1000)
    webhook_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s]+$",
        description="`external_webhook`: the URL asked which operator gets a new chat (POST, signed).",
    )
    webhook_secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Signs the webhook's requests (HMAC-SHA256); never shown. Omitted on a PUT: the stored one stays.",
    )


class QueueOut(BaseModel):
    id: str
    name: str
    welcome_message: str | None
    hours: OpeningHours | None
    priority: int
    strategy: Strategy
    max_wait_seconds: int
    failover_queue_id: str | None
    min_gap_seconds: int = 0
    sections: list[str]
    members: list[QueueMember]
    webhook_url: str | None = None
    webhook_secret_set: bool = Field(default=False, description="A webhook secret is stored.")
    open_now: bool = Field(description="Within its opening hours now.")
    created_at: datetime
    updated_at: datetime


class QueueList(BaseModel):
    queues: list[QueueOut]


class SetPresence(Strict):
    status: PresenceStatus


class SetCapacity(Strict):
    max_chats: int | None = Field(ge=1, le=100, description="Null: the account's default.")


Language = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,8}$", to_lower=True)]


class SetLanguages(Strict):
    languages: list[Language] = Field(
        max_length=20, description='The languages the operator speaks (primary subtags: "en", "de"); [] for none.'
    )


class AccountCapacity(Strict):
    default_max_chats: int = Field(ge=1, le=100)


class PresenceOut(BaseModel):
    user_id: str
    name: str | None
    status: PresenceStatus
    status_changed_at: datetime
    max_chats: int = Field(description="In effect: the operator's override or the account's default.")
    max_chats_override: int | None
    active_chats: int
    languages: list[str] = Field(default_factory=list, description="The languages they speak (routing prefers).")


class PresenceList(BaseModel):
    operators: list[PresenceOut]
    default_max_chats: int


class Colleague(BaseModel):
    """An operator as any colleague sees them (to transfer or invite to): no contact details."""

    user_id: str
    name: str | None
    status: PresenceStatus
    status_changed_at: datetime
    active_chats: int
    max_chats: int
    queue_ids: list[str] = Field(description="The queues they are a member of.")


class Colleagues(BaseModel):
    operators: list[Colleague]


class QueueSummary(BaseModel):
    """A queue as the consoles list it (`routing/waiting.py`)."""

    queue_id: str
    name: str
    open_now: bool = Field(description="Within its opening hours now.")
    waiting: int = Field(description="Chats waiting in it (offered ones included).")
    longest_wait_seconds: int = Field(description="How long its oldest waiting chat has waited (0: none waits).")
    online_operators: int = Field(description="Its members online now.")
    free_slots: int = Field(description="Chats its online members can still take (capacity minus load).")


class QueueSummaries(BaseModel):
    queues: list[QueueSummary]


class QueueAvailability(BaseModel):
    """A queue (topic) as the widget shows it before the visitor writes."""

    queue_id: str
    name: str
    online: bool = Field(description="Someone can answer now: within its hours and one of its members online.")
    open_now: bool = Field(description="Within its opening hours now.")
    hours: OpeningHours | None = Field(description="Its opening hours (null: always open).")


class QueueAvailabilities(BaseModel):
    queues: list[QueueAvailability]


class VisitorsSeen(Strict):
    """The gateway: visitors of the caller's account it holds sockets of now."""

    visitor_ids: list[str] = Field(max_length=1000)
