"""Tables owned by the rules service (invitation rules and segments will live here)."""

from sqlalchemy import Column, Integer, String, Table, Text

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import processed_events_table

metadata = new_metadata()

# What the rules know of each visitor, fed by `pageview.recorded` (the visitor id is unique across accounts).
visitor_stats = Table(
    "rules_visitor_stats",
    metadata,
    Column("visitor_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("pageviews", Integer, nullable=False),
    Column("last_url", Text, nullable=True),
    # When the page of `last_url` was viewed: a late (redelivered) older page view must not replace it.
    Column("last_viewed_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

processed = processed_events_table(metadata, "rules")
