"""Request and response bodies of the chat API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConversationState = Literal["waiting", "active", "closed"]
SenderType = Literal["visitor", "operator", "system"]
ClosedReason = Literal["closed", "abandoned"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartConversation(Strict):
    text: str | None = Field(default=None, min_length=1)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)
    queue_id: str | None = Field(
        default=None, min_length=1, max_length=36, description="The queue (topic) chosen; none: the account's first."
    )
    language: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$",
        description="The visitor's language (the widget's, a BCP 47 tag): operators speaking it are offered it first.",
    )


class InvitingOperator(Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class StartInvited(Strict):
    """The gateway, for a visitor who accepted an invitation: the conversation it starts."""

    invitation_id: str = Field(min_length=1, max_length=64)
    rule_id: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    text: str = Field(min_length=1, description="The invitation's text: the conversation's first message.")
    operator: InvitingOperator | None = Field(default=None, description="Who invited (the message's sender).")
    assign: bool = Field(default=False, description="The conversation is the operator's at once (their call).")
    queue_id: str | None = Field(
        default=None, max_length=64, description="The rule's queue (`route_to_queue`); gone: the account's first."
    )


class PostMessage(Strict):
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    quote_seq: int | None = Field(
        default=None, ge=1, le=2**53 - 1, description="Quote-reply (CHAT-5): the seq of an earlier message it quotes."
    )


ConversationKind = Literal["direct", "group"]
ParticipantRole = Literal["assigned", "invited", "watching"]


class Participant(BaseModel):
    user_id: str
    name: str | None
    role: ParticipantRole


class GroupVisitor(BaseModel):
    visitor_id: str
    site_id: str
    name: str


class ConversationOut(BaseModel):
    id: str
    account_id: str
    site_id: str | None
    visitor_id: str | None
    channel: str
    state: ConversationState
    assigned_user_id: str | None
    assigned_user_name: str | None
    created_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    last_seq: int
    last_message_at: datetime | None
    invitation_id: str | None = Field(default=None, description="The invitation it was started from, if any.")
    rule_id: str | None = Field(default=None, description="That invitation's rule (null: an operator's call).")
    variant: str | None = Field(default=None, description="That invitation's variant of its rule.")
    queue_id: str | None = Field(default=None, description="The queue it was routed to (null: no queues).")
    offered_user_id: str | None = Field(default=None, description="The operator it is offered to now (waiting).")
    offer_expires_at: datetime | None = Field(default=None, description="When that offer goes to the next operator.")
    visitor_left_at: datetime | None = Field(
        default=None, description="Waiting, its visitor gone (no socket) since: shown as visitor left, not red."
    )
    closed_reason: ClosedReason | None = Field(default=None, description="Why it closed (null: open).")
    missed: bool = Field(default=False, description="Closed (or abandoned) without any operator reply.")
    language: str | None = Field(default=None, description="The visitor's language, when the widget said it.")
    position: int | None = Field(
        default=None, description="Waiting in a queue: its place there, 1 first (on `/current` and the start only)."
    )
    expected_wait_seconds: int | None = Field(
        default=None, description="Waiting: the estimated wait (null: unknown, nobody online or out of hours)."
    )
    kind: ConversationKind = Field(default="direct", description="`group`: several visitors (`visitors`).")
    participants: list[Participant] = Field(
        default_factory=list, description="Its operators: the assigned one, those invited, those watching."
    )
    visitors: list[GroupVisitor] = Field(default_factory=list, description="A group conversation's visitors.")


class AttachmentRef(BaseModel):
    """A file a message carries (CHAT-10): fetched by its participants at `/attachments/{id}` of its conversation."""

    id: str
    name: str = Field(description="Sanitized; show it as text.")
    content_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"]
    size: int = Field(description="Bytes.")


class MessageOut(BaseModel):
    id: str
    conversation_id: str
    seq: int
    client_msg_id: str
    sender_type: SenderType
    sender_id: str | None
    sender_name: str | None
    text: str
    created_at: datetime
    # CHAT-5 (`message_edits.py`)
    revision: int = Field(default=0, description="0 as written; +1 per edit or retraction (the newest wins).")
    edited_at: datetime | None = Field(default=None, description="Its text was edited (last), then.")
    retracted_at: datetime | None = Field(default=None, description="Retracted then: its `text` is empty.")
    quote_seq: int | None = Field(default=None, description="The seq of the earlier message it quotes.")
    attachment: AttachmentRef | None = Field(default=None, description="The file it carries (CHAT-10), if any.")


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class MessageList(BaseModel):
    messages: list[MessageOut]
    changed: list[MessageOut] = Field(
        default_factory=list,
        description="With `changes=true`: the edited or retracted messages up to `after_seq` (a resume's).",
    )


class ConversationExport(ConversationOut):
    """A conversation with all its messages, ordered by seq (data protection export)."""

    messages: list[MessageOut]


class VisitorConversations(BaseModel):
    visitor_id: str
    conversations: list[ConversationExport]
