"""queues and presence: departments with members, operators' presence, account capacity default

Revision ID: c3d8f1a2b7e5
Revises: 5b1e7c2d9a40
Create Date: 2026-12-02 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d8f1a2b7e5"
down_revision: str | None = "5b1e7c2d9a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queues",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("welcome_message", sa.Text(), nullable=True),
        sa.Column("hours", sa.JSON(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("failover_queue_id", sa.String(length=36), nullable=True),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queues")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_queues_account_id_name")),
    )
    op.create_table(
        "queue_members",
        sa.Column("queue_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_queue_members_queue_id_queues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("queue_id", "user_id", name=op.f("pk_queue_members")),
    )
    with op.batch_alter_table("queue_members", schema=None) as batch_op:
        batch_op.create_index("ix_queue_members_account_user", ["account_id", "user_id"], unique=False)
    op.create_table(
        "chat_operators",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_chats", sa.Integer(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "user_id", name=op.f("pk_chat_operators")),
    )
    op.create_table(
        "chat_account_settings",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("default_max_chats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_chat_account_settings")),
    )


def downgrade() -> None:
    op.drop_table("chat_account_settings")
    op.drop_table("chat_operators")
    with op.batch_alter_table("queue_members", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_members_account_user")
    op.drop_table("queue_members")
    op.drop_table("queues")
