"""Read models of the reporting service."""

from sqlalchemy import Column, Date, Float, Integer, String, Table

from services.common.db import UTCDateTime, new_metadata
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

# Segments (SEG-2), from the rules' `visitor.segment_changed`: the account's segments heard of, each visitor's
# segment now (the newest `at` wins), the segment a conversation's visitor was in when it started, and the
# counters of report_daily per segment.
report_segments = Table(
    "report_segments",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("segment_id", String(64), primary_key=True),
    Column("name", String(120), nullable=False),
)

report_visitor_segments = Table(
    "report_visitor_segments",
    metadata,
    Column("visitor_id", String(64), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("segment_id", String(64), nullable=True),
    Column("at", UTCDateTime, nullable=False),
)

report_conversation_segments = Table(
    "report_conversation_segments",
    metadata,
    Column("conversation_id", String(64), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("segment_id", String(64), nullable=False),
)

report_segment_daily = Table(
    "report_segment_daily",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("segment_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(name, Integer, nullable=False, default=0) for name in COUNTERS),
    Column("total_wait_seconds", Float, nullable=False, default=0.0),
)

processed = processed_events_table(metadata, "reporting")
