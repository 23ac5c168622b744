"""visitor_tags: the tags rules put on a visitor (`visitor.tagged`), kept on the visitor row

Revision ID: 12c3c0de0003
Revises: 7c1f0e5a9d42
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "12c3c0de0003"
down_revision: str | None = "7c1f0e5a9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- visitor tags (H5) ---
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    # --- end visitor tags ---
    # --- visitor segments (H4): the segment the rules put the visitor in (`visitor.segment_changed`) ---
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("segment_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("segment_changed_at", sa.DateTime(timezone=True), nullable=True))
    # --- end visitor segments ---


def downgrade() -> None:
    # --- visitor segments (H4) ---
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.drop_column("segment_changed_at")
        batch_op.drop_column("segment_name")
        batch_op.drop_column("segment_id")
    # --- end visitor segments ---
    # --- visitor tags (H5) ---
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.drop_column("tags")
    # --- end visitor tags ---
