"""Request and response bodies of the chat API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConversationState = Literal["waiting", "active", "closed"]
SenderType = Literal["visitor", "operator", "system"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartConversation(Strict):
    text: str | None = Field(default=None, min_length=1)
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64)


class PostMessage(Strict):
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)


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


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class MessageList(BaseModel):
    messages: list[MessageOut]


class ConversationExport(ConversationOut):
    """A conversation with all its messages, ordered by seq (data protection export)."""

    messages: list[MessageOut]


class VisitorConversations(BaseModel):
    visitor_id: str
    conversations: list[ConversationExport]
