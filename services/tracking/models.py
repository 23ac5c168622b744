"""Tables owned by the tracking service.

`visitors.id` is the visitor id the gateway issued (in the visitor token); a visitor row holds where
the visitor is now (`current_*`, `current_visit_id`) and running totals, so the live list reads one table.
"""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import outbox_table

metadata = new_metadata()

visitors = Table(
    "visitors",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("visit_count", Integer, nullable=False),
    Column("pages_viewed", Integer, nullable=False),
    Column("current_visit_id", String(36), nullable=True),
    Column("current_url", Text, nullable=True),
    Column("current_title", Text, nullable=True),
    Column("page_started_at", UTCDateTime, nullable=True),
    Index("ix_visitors_account_seen", "account_id", "last_seen_at"),  # the live list
    Index("ix_visitors_last_seen", "last_seen_at"),  # the departure sweep, across accounts
)

visits = Table(
    "visits",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("visitor_id", String(36), ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_activity_at", UTCDateTime, nullable=False),
    Column("landing_url", Text, nullable=False),
    Column("referrer", Text, nullable=True),
    Column("page_count", Integer, nullable=False),
    Index("ix_visits_visitor", "visitor_id", "started_at"),
)

page_views = Table(
    "page_views",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("visit_id", String(36), ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
    Column("visitor_id", String(36), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("referrer", Text, nullable=True),
    Column("viewed_at", UTCDateTime, nullable=False),
    Index("ix_page_views_visit", "visit_id", "viewed_at"),
    Index("ix_page_views_visitor", "visitor_id", "viewed_at"),
)

outbox = outbox_table(metadata, "tracking")
