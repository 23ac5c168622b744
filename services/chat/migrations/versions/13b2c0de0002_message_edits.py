"""message edits (CHAT-5): a message's revision, edit and retraction times and the message it quotes; the versions
of edited and retracted messages (who changed them, when, to what)

Revision ID: 13b2c0de0002
Revises: 13a1c0de0001
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "13b2c0de0002"
down_revision: str | None = "13a1c0de0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("quote_seq", sa.Integer(), nullable=True))
    op.create_table(
        "message_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by_type", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.String(length=36), nullable=True),
        sa.Column("by_name", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_message_versions_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_versions_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_versions")),
        sa.UniqueConstraint("message_id", "revision", name=op.f("uq_message_versions_message_id_revision")),
    )
    op.create_index("ix_message_versions_conversation", "message_versions", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_message_versions_conversation", table_name="message_versions")
    op.drop_table("message_versions")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("quote_seq")
        batch_op.drop_column("retracted_at")
        batch_op.drop_column("edited_at")
        batch_op.drop_column("revision")
