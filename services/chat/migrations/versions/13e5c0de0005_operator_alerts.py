"""operator alerts: SMS on a new chat, per operator (OPS-5)

Revision ID: 13e5c0de0005
Revises: 13d4c0de0004
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "13e5c0de0005"
down_revision: str | None = "13d4c0de0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_operator_alerts",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "user_id"),
    )
    op.create_table(
        "chat_operator_alert_sends",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("chat_operator_alert_sends")
    op.drop_table("chat_operator_alerts")
