"""Request and response bodies of tickets (OFF-1..3) and transcripts by email."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

TicketState = Literal["open", "answered", "closed"]
MAX_TICKET_TEXT = 4000  # characters of one message (the form's, a reply)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfflineMessageIn(Strict):
    """The widget's offline form: who asks, where to answer, what."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr = Field(description="Where the answer goes.")
    message: str = Field(min_length=1, max_length=MAX_TICKET_TEXT)
    queue_id: str | None = Field(default=None, min_length=1, max_length=36, description="The topic chosen, if any.")


class ChatToTicketIn(Strict):
    email: EmailStr
    name: str | None = Field(default=None, min_length=1, max_length=200)


class TranscriptIn(Strict):
    email: EmailStr


class ReplyIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_TICKET_TEXT)


class TicketMessageOut(BaseModel):
    id: str
    sender_type: Literal["visitor", "operator"]
    sender_name: str | None
    channel: Literal["web", "email", "chat"]
    text: str
    created_at: datetime
    email_status: Literal["queued", "sent"] | None = Field(
        default=None, description="An operator's reply: whether its email went out yet."
    )


class TicketOut(BaseModel):
    id: str
    state: TicketState
    origin: Literal["offline_form", "chat"]
    name: str | None
    email: str
    subject: str
    queue_id: str | None
    conversation_id: str | None
    created_at: datetime
    updated_at: datetime
    email_enabled: bool = Field(description="False: SMTP is not configured; replies stay queued until it is.")


class TicketDetail(TicketOut):
    messages: list[TicketMessageOut]


class TicketList(BaseModel):
    tickets: list[TicketOut]


class TicketCreated(BaseModel):
    """What a visitor learns of the ticket they made (never the thread of someone else)."""

    id: str
    state: TicketState
    email: str


class Accepted(BaseModel):
    status: Literal["queued"] = "queued"
    email_enabled: bool
