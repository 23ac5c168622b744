"""report segments: the segments heard of, each visitor's segment, a conversation's segment, the daily counters
per segment (SEG-2)

Revision ID: 12d4c0de0001
Revises: faf189a470b1
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "12d4c0de0001"
down_revision: str | None = "faf189a470b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "conversations_started",
    "conversations_accepted",
    "conversations_closed",
    "messages",
    "visitor_messages",
    "operator_messages",
    "pageviews",
)


def upgrade() -> None:
    op.create_table(
        "report_segments",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "segment_id", name=op.f("pk_report_segments")),
    )
    op.create_table(
        "report_visitor_segments",
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("visitor_id", name=op.f("pk_report_visitor_segments")),
    )
    op.create_table(
        "report_conversation_segments",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_report_conversation_segments")),
    )
    op.create_table(
        "report_segment_daily",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS),
        sa.Column("total_wait_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "segment_id", "day", name=op.f("pk_report_segment_daily")),
    )


def downgrade() -> None:
    op.drop_table("report_segment_daily")
    op.drop_table("report_conversation_segments")
    op.drop_table("report_visitor_segments")
    op.drop_table("report_segments")
