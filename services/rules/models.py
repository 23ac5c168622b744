"""Tables owned by the rules service: invitation rules, the sites they belong to (a read model of the
gateway's), and what the rules know of each visitor."""

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text, text

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import outbox_table, processed_events_table
from services.common.sites import sites_table

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
    # The visitor's last chat (`conversation.started`, then its `conversation.closed`): "last chat N ago" and
    # "not for N hours after a chat" once the live state is gone (`visitor_stats.record_chats`).
    Column("last_chat_at", UTCDateTime, nullable=True),
    Column("last_conversation_id", String(36), nullable=True),  # whose close moves `last_chat_at`
    Index(
        "ix_rules_visitor_stats_conversation",
        "last_conversation_id",
        postgresql_where=text("last_conversation_id IS NOT NULL"),
        sqlite_where=text("last_conversation_id IS NOT NULL"),
    ),
)

# The gateway's sites as the rules know them (`site.created/updated/deleted`; services/common/sites.py).
rules_sites = sites_table(metadata, "rules")

# Invitation rules: per site, in `position` order (0, 1, ... with no gaps). `definition` is the rule's
# validated JSON without its name and `enabled` (`engine.RuleDefinition`), in the JSON format `format`;
# `version` counts the edits of the rule (1 when created).
rules = Table(
    "rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("position", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(120), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("definition", JSON, nullable=False),
    Column("format", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(64), nullable=True),
    Index("ix_rules_site_position", "site_id", "position"),
    Index("ix_rules_account", "account_id"),
)

# Operator presence as chat publishes it (`operator.presence_changed`; `presence.py`): one row per operator, the
# newest `at` wins. "Operators online" and "an operator free in a queue" in the rules' conditions.
operator_presence = Table(
    "rules_operator_presence",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("max_chats", Integer, nullable=False),
    Column("active_chats", Integer, nullable=False),
    Column("queue_ids", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

processed = processed_events_table(metadata, "rules")

# Customer segments (SEG-1; `segments/`): per account, in `position` order (first match wins). `definition` is
# the segment's validated JSON without its name (`segments.schemas.SegmentDefinition`).
segments = Table(
    "segments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("position", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(120), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(64), nullable=True),
    Index("ix_segments_account_position", "account_id", "position"),
)

# One row per account whose segments exist: made with the four defaults at the account's first use, locked
# by every edit of its segments (so positions stay 0, 1, ...); a deleted default is not made again.
segment_books = Table(
    "rules_segment_books",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Per-rule and per-variant counts of what became of the rules' invitations (ENG-7; `invitation_stats.py`), from the
# gateway's `invitation.*` events and chat's `conversation.started` (accepted ones name their rule and variant).
# `variant` is "" for an invitation without one (an `open_chat` rule's).
invitation_stats = Table(
    "rules_invitation_stats",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("rule_id", String(36), primary_key=True),
    Column("variant", String(32), primary_key=True),
    Column("shown", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("expired", Integer, nullable=False),
    Column("chats_started", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Each visitor's past with each rule that fired for them (`rule_history.py`): what the caps that span visits ("at
# most N shows", "not again for N days") count once the live state is gone, and the visit-long ones ("once per
# visit", "not again this visit after a close") if it is lost within the visit (a restart, Redis flushed).
# Written after the firings of a batch (the greatest count and time win, so a redelivered or late write changes
# nothing) and with the batch of `invitation.closed`, read when a live state is built afresh, deleted with the
# visitor (`visitor.erased`).
visitor_rule_history = Table(
    "rules_visitor_rule_history",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("visitor_id", String(36), primary_key=True),
    Column("rule_id", String(36), primary_key=True),
    Column("fired_total", Integer, nullable=False),
    Column("last_fired_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The visit of the last firing and how many times it fired in that visit (null / 0: not known, rows older
    # than the column); the visit in which the visitor last closed one of its invitations.
    Column("visit_id", String(36), nullable=True),
    Column("fired_in_visit", Integer, nullable=False, server_default="0"),
    Column("closed_visit_id", String(36), nullable=True),
)

# What the rules publish durably (`visitor.segment_changed`), relayed after the commit.
outbox = outbox_table(metadata, "rules")
