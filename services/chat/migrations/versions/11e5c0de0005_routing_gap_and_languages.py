"""routing gap and languages (ROUTE-3): a queue's minimum gap between two offers to one operator, operators'
languages, a conversation's language

Revision ID: 11e5c0de0005
Revises: 11d4c0de0004
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "11e5c0de0005"
down_revision: str | None = "11d4c0de0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_gap_seconds", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("chat_operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=True))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("chat_operators", schema=None) as batch_op:
        batch_op.drop_column("languages")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("min_gap_seconds")
