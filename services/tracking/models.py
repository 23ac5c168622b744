"""Tables owned by the tracking service.

`visitors.id` is the visitor id the gateway issued (in the visitor token); a visitor row holds where
the visitor is now (`current_*`, `current_visit_id`) and running totals. A visit keeps how the visitor
arrived and where from (location, device), computed once when it starts. The live list itself is kept
in the live store (Redis or memory), rebuilt from these rows on every change.
"""

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import outbox_table, processed_events_table
from services.common.sites import sites_table

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
    Column("current_section", String(120), nullable=True),
    Column("page_started_at", UTCDateTime, nullable=True),
    Column("contact_id", String(36), nullable=True),
    Column("attributes", JSON, nullable=True),
    Column("chat_state", String(16), nullable=True),
    Column("chat_conversation_id", String(36), nullable=True),
    Column("is_robot", Boolean, nullable=False, server_default="0"),
    Column("robot_reason", String(32), nullable=True),
    Column("burst_started_at", UTCDateTime, nullable=True),
    Column("burst_pages", Integer, nullable=False, server_default="0"),
    # The visitor's segment as the rules last published it (`visitor.segment_changed`; the newest `at` wins).
    Column("segment_id", String(36), nullable=True),
    Column("segment_name", String(120), nullable=True),
    Column("segment_changed_at", UTCDateTime, nullable=True),
    Column("tags", JSON, nullable=True),  # the rules' tags (`visitor.tagged`), sorted; null: none
    Index("ix_visitors_account_seen", "account_id", "last_seen_at"),
    Index("ix_visitors_last_seen", "last_seen_at"),
    Index("ix_visitors_contact", "contact_id"),
    Index("ix_visitors_conversation", "chat_conversation_id"),
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
    Column("arrived_kind", String(16), nullable=True),
    Column("arrived_source", String(200), nullable=True),
    Column("keywords", String(256), nullable=True),
    Column("utm", JSON, nullable=True),
    Column("ip", String(45), nullable=True),
    Column("location", JSON, nullable=True),
    Column("device", JSON, nullable=True),
    Index("ix_visits_visitor", "visitor_id", "started_at"),
    Index("ix_visits_started", "started_at"),
)


def _of_a_page() -> list[Column[Any]]:
    """What page views, products viewed and searches share: their visit and visitor, and the client's page id."""
    return [
        Column("id", String(36), primary_key=True),
        Column("visit_id", String(36), ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
        Column("visitor_id", String(36), nullable=False),
        Column("account_id", String(36), nullable=False),
        Column("site_id", String(36), nullable=False),
        Column("page_key", String(64), nullable=True),
    ]


page_views = Table(
    "page_views",
    metadata,
    *_of_a_page(),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("referrer", Text, nullable=True),
    Column("section", String(120), nullable=True),
    Column("time_spent_seconds", Float, nullable=True),
    Column("viewed_at", UTCDateTime, nullable=False),
    Index("ix_page_views_visit", "visit_id", "viewed_at"),
    Index("ix_page_views_visitor", "visitor_id", "viewed_at"),
    Index("ix_page_views_page_key", "visitor_id", "page_key", unique=True),
    Index("ix_page_views_viewed", "viewed_at"),
)

products_viewed = Table(
    "products_viewed",
    metadata,
    *_of_a_page(),
    Column("sku", String(128), nullable=True),
    Column("name", String(256), nullable=False),
    Column("url", Text, nullable=True),
    Column("price", Float, nullable=True),
    Column("currency", String(8), nullable=True),
    Column("category", String(128), nullable=True),
    Column("viewed_at", UTCDateTime, nullable=False),
    Index("ix_products_viewed_visitor", "visitor_id", "viewed_at"),
)

searches = Table(
    "searches",
    metadata,
    *_of_a_page(),
    Column("query", String(256), nullable=False),
    Column("viewed_at", UTCDateTime, nullable=False),
    Index("ix_searches_visitor", "visitor_id", "viewed_at"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("external_id", String(256), nullable=False),
    Column("email", String(320), nullable=True),
    Column("name", String(200), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("verified", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_contacts_external", "account_id", "external_id", unique=True),
)

site_settings = Table(
    "site_settings",
    metadata,
    Column("site_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("sections", JSON, nullable=False),
    Column("products", JSON, nullable=False),
    Column("searches", JSON, nullable=False),
    Column("retention_days", Integer, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The gateway's sites as tracking knows them (read model of `site.created/updated/deleted`): a site id is
# acted on only for the account it belongs to here. A deleted site stays as a tombstone, so that a late
# `site.updated` does not bring it back; `changed_at` is the time of the newest event applied.
tracking_sites = sites_table(metadata, "tracking")  # services/common/sites.py

outbox = outbox_table(metadata, "tracking")
processed_events = processed_events_table(metadata, "tracking")
