"""Tables owned by the chat service."""

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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
    # Started by accepting an invitation: which, and the rule and variant that offered it (null: an operator's).
    Column("invitation_id", String(64), nullable=True),
    Column("rule_id", String(64), nullable=True),
    Column("variant", String(64), nullable=True),
    # Routing (`routing/`): the queue it waits in, the operator it is offered to now and until when, and the
    # operators who let an offer of it expire (asked again only when nobody else can take it).
    Column("queue_id", String(36), nullable=True),
    Column("offered_user_id", String(36), nullable=True),
    Column("offered_at", UTCDateTime, nullable=True),
    Column("offer_expires_at", UTCDateTime, nullable=True),
    Column("passed_over", JSON, nullable=True),
    Column("queued_at", UTCDateTime, nullable=True),  # when it moved to its queue by failover (null: at its start)
    Index("ix_conversations_account_state", "account_id", "state", "created_at"),
    Index("ix_conversations_offer_expires_at", "state", "offer_expires_at"),
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

# Departments (ROUTE-1): one queue of operators with hours, priority, strategy and failover (`queues.py`).
queues = Table(
    "queues",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("welcome_message", Text, nullable=True),
    Column("hours", JSON, nullable=True),  # `hours.OpeningHours` as JSON; null: always open
    Column("priority", Integer, nullable=False),
    Column("strategy", String(32), nullable=False),
    Column("max_wait_seconds", Integer, nullable=False),
    Column("failover_queue_id", String(36), nullable=True),
    Column("sections", JSON, nullable=False),  # section names or URL prefixes where its chat button shows
    Column(
        "webhook_url", String(500), nullable=True
    ),  # `external_webhook`: asked which operator (`routing/webhook.py`)
    Column("webhook_secret", String(200), nullable=True),  # signs those requests (HMAC-SHA256); never shown
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "name"),
)

queue_members = Table(
    "queue_members",
    metadata,
    Column("queue_id", String(36), ForeignKey("queues.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("priority", Integer, nullable=False),
    PrimaryKeyConstraint("queue_id", "user_id"),
    Index("ix_queue_members_account_user", "account_id", "user_id"),
)

# Presence (ROUTE-2): every user of an account chat has heard from, with their state and capacity override.
operators = Table(
    "chat_operators",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("name", String(200), nullable=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("max_chats", Integer, nullable=True),  # null: the account's default
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),  # last sign of the console (socket heartbeat, a call)
    Column("last_offered_at", UTCDateTime, nullable=True),  # the last chat routing offered them (round robin, idle)
    PrimaryKeyConstraint("account_id", "user_id"),
)

account_settings = Table(
    "chat_account_settings",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("default_max_chats", Integer, nullable=False),
)
