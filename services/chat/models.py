"""Tables owned by the chat service."""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import outbox_table, processed_events_table

metadata = new_metadata()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=True),
    Column("visitor_id", String(36), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("assigned_user_id", String(36), nullable=True),
    Column("assigned_user_name", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("closed_by", String(16), nullable=True),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("last_message_at", UTCDateTime, nullable=True),
    Index("ix_conversations_account_state", "account_id", "state", "created_at"),
    Index("ix_conversations_visitor", "visitor_id", "state"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("client_msg_id", String(64), nullable=False),
    Column("sender_type", String(16), nullable=False),
    Column("sender_id", String(36), nullable=True),
    Column("sender_name", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("conversation_id", "seq"),
    UniqueConstraint("conversation_id", "client_msg_id"),
)

outbox = outbox_table(metadata, "chat")
processed = processed_events_table(metadata, "chat")  # events consumed (visitor.erased), each handled once

# Realtime frames written with the change they announce and deleted once published (`realtime.py`): a frame
# whose publish failed, or whose process died before publishing it, is published again from here.
realtime_pending = Table(
    "chat_realtime_pending",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channels", String(200), nullable=False),  # space-separated bus channels
    Column("frame", Text, nullable=False),  # the frame's JSON
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_chat_realtime_pending_created_at", "created_at"),
)
