"""operator presence: the rules' read model of chat's `operator.presence_changed`

Revision ID: a3c7e2f9b104
Revises: 831820121df1
Create Date: 2026-12-03 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3c7e2f9b104"
down_revision: str | None = "831820121df1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rules_operator_presence",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_chats", sa.Integer(), nullable=False),
        sa.Column("active_chats", sa.Integer(), nullable=False),
        sa.Column("queue_ids", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "user_id", name=op.f("pk_rules_operator_presence")),
    )


def downgrade() -> None:
    op.drop_table("rules_operator_presence")
