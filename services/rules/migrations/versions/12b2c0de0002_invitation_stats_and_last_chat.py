"""invitation stats and last chat: per-rule and per-variant counts of the invitations shown, accepted, closed,
expired and of the chats they started (ENG-7); each visitor's last chat kept in their stats (the "last chat N
ago" condition and the "not for N hours after a chat" cap outlive the live state)

Revision ID: 12b2c0de0002
Revises: 12a1c0de0001
Create Date: 2026-12-07 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "12b2c0de0002"
down_revision: str | None = "12a1c0de0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_CONVERSATION = sa.text("last_conversation_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "rules_invitation_stats",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("expired", sa.Integer(), nullable=False),
        sa.Column("chats_started", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "rule_id", "variant", name=op.f("pk_rules_invitation_stats")),
    )
    with op.batch_alter_table("rules_visitor_stats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_chat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_conversation_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_rules_visitor_stats_conversation",
            ["last_conversation_id"],
            unique=False,
            postgresql_where=HAS_CONVERSATION,
            sqlite_where=HAS_CONVERSATION,
        )


def downgrade() -> None:
    with op.batch_alter_table("rules_visitor_stats", schema=None) as batch_op:
        batch_op.drop_index("ix_rules_visitor_stats_conversation")
        batch_op.drop_column("last_conversation_id")
        batch_op.drop_column("last_chat_at")
    op.drop_table("rules_invitation_stats")
