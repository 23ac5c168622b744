"""Read models of the reporting service."""

from sqlalchemy import Column, Date, Float, Integer, String, Table

from services.common.db import new_metadata
from services.common.outbox import processed_events_table

metadata = new_metadata()

COUNTERS = (
    "conversations_started",
    "conversations_accepted",
    "conversations_closed",
    "messages",
    "visitor_messages",
    "operator_messages",
    "pageviews",
)

report_daily = Table(
    "report_daily",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(name, Integer, nullable=False, default=0) for name in COUNTERS),
    Column("total_wait_seconds", Float, nullable=False, default=0.0),
)

processed = processed_events_table(metadata, "reporting")
