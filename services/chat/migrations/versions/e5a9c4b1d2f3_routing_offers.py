"""routing: a conversation's queue and current offer, an operator's last offer, a queue's routing webhook

Revision ID: e5a9c4b1d2f3
Revises: c3d8f1a2b7e5
Create Date: 2026-12-03 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a9c4b1d2f3"
down_revision: str | None = "c3d8f1a2b7e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("offered_user_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("passed_over", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_conversations_offer_expires_at", ["state", "offer_expires_at"], unique=False)
    with op.batch_alter_table("chat_operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_offered_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")
        batch_op.drop_column("webhook_url")
    with op.batch_alter_table("chat_operators", schema=None) as batch_op:
        batch_op.drop_column("last_offered_at")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_offer_expires_at")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("passed_over")
        batch_op.drop_column("offer_expires_at")
        batch_op.drop_column("offered_at")
        batch_op.drop_column("offered_user_id")
        batch_op.drop_column("queue_id")
