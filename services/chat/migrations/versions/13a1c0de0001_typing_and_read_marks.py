"""chat_read_marks: how far each reader of a conversation has read (EMB-8); typing is never stored

Revision ID: 13a1c0de0001
Revises: 11e5c0de0005
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "13a1c0de0001"
down_revision: str | None = "11e5c0de0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_read_marks",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("reader_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("reader", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "reader_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_read_marks")
