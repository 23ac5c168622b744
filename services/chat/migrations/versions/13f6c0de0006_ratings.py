"""ratings (EMB-10): a visitor's post-chat rating, one per conversation

Revision ID: 13f6c0de0006
Revises: 13e5c0de0005
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "13f6c0de0006"
down_revision: str | None = "13e5c0de0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_ratings",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("visitor_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_ratings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_ratings")),
    )
    op.create_index("ix_conversation_ratings_account", "conversation_ratings", ["account_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_ratings_account", table_name="conversation_ratings")
    op.drop_table("conversation_ratings")
