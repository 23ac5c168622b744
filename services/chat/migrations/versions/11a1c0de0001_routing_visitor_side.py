"""routing, the visitor's side: when the visitor was last seen and left, why a chat closed, missed, declines

Revision ID: 11a1c0de0001
Revises: e5a9c4b1d2f3
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "11a1c0de0001"
down_revision: str | None = "e5a9c4b1d2f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visitor_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("visitor_left_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("missed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("declined_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("declined_by")
        batch_op.drop_column("missed")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("visitor_left_at")
        batch_op.drop_column("visitor_seen_at")
