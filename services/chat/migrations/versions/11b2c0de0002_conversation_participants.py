"""conversation_participants: invited and watching operators, group conversations and their visitors, wider
realtime channels

Revision ID: 11b2c0de0002
Revises: 11a1c0de0001
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "11b2c0de0002"
down_revision: str | None = "11a1c0de0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="direct"))
    with op.batch_alter_table("chat_realtime_pending", schema=None) as batch_op:
        batch_op.alter_column("channels", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=False)
    op.create_table(
        "conversation_participants",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=36), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "user_id"),
    )
    op.create_index("ix_conversation_participants_account_user", "conversation_participants", ["account_id", "user_id"])
    op.create_table(
        "conversation_visitors",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("visitor_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "visitor_id"),
    )
    op.create_index("ix_conversation_visitors_visitor", "conversation_visitors", ["account_id", "visitor_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_visitors_visitor", table_name="conversation_visitors")
    op.drop_table("conversation_visitors")
    op.drop_index("ix_conversation_participants_account_user", table_name="conversation_participants")
    op.drop_table("conversation_participants")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("chat_realtime_pending", schema=None) as batch_op:
        batch_op.alter_column("channels", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=False)
