"""The chat service's tables for operator alerts (migration 13e5c0de0005)."""

from sqlalchemy import Boolean, Column, PrimaryKeyConstraint, String, Table, false

from services.chat.models import metadata
from services.common.db import UTCDateTime

# One row per operator who set their alerts: SMS on a new chat, to this E.164 number.
operator_alerts = Table(
    "chat_operator_alerts",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("sms_enabled", Boolean, nullable=False, server_default=false()),
    Column("phone", String(16), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("account_id", "user_id"),
)

# One row per SMS owed for a conversation to an operator: an event handled twice sends once.
operator_alert_sends = Table(
    "chat_operator_alert_sends",
    metadata,
    Column("conversation_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id", "user_id"),
)
