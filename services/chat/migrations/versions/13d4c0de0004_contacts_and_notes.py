"""contacts, internal notes, pre-chat forms and answers, chat's read model of sites (CHAT-8, OPS-5, EMB-3)

Revision ID: 13d4c0de0004
Revises: 13c3c0de0003
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "13d4c0de0004"
down_revision: str | None = "13c3c0de0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "external_id", name="uq_chat_contacts_external_id"),
        sa.UniqueConstraint("account_id", "email", name="uq_chat_contacts_email"),
        sa.UniqueConstraint("account_id", "phone", name="uq_chat_contacts_phone"),
    )
    op.create_table(
        "visitor_contacts",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("visitor_id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["chat_contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "visitor_id"),
    )
    op.create_index("ix_visitor_contacts_contact", "visitor_contacts", ["contact_id"])
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conversation_notes_conversation", "conversation_notes", ["conversation_id", "created_at"])
    op.create_table(
        "prechat_forms",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "site_id"),
    )
    op.create_table(
        "prechat_answers",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("visitor_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "visitor_id"),
    )
    op.create_table(
        "chat_sites",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("site_key", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("domains", sa.JSON(), nullable=True),
        sa.Column("allowed_origins", sa.JSON(), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site_id"),
    )
    op.create_index("ix_chat_sites_account", "chat_sites", ["account_id"])
    # The sites chat already has conversations of (each from a visitor token the gateway signed for that site) are
    # known at once; the others from their next `site.*` event. A site id seen with two accounts is left out.
    op.execute(
        "INSERT INTO chat_sites (site_id, account_id, deleted) SELECT site_id, MIN(account_id), false "
        "FROM conversations WHERE site_id IS NOT NULL GROUP BY site_id HAVING COUNT(DISTINCT account_id) = 1"
    )


def downgrade() -> None:
    op.drop_index("ix_chat_sites_account", table_name="chat_sites")
    op.drop_table("chat_sites")
    op.drop_table("prechat_answers")
    op.drop_table("prechat_forms")
    op.drop_index("ix_conversation_notes_conversation", table_name="conversation_notes")
    op.drop_table("conversation_notes")
    op.drop_index("ix_visitor_contacts_contact", table_name="visitor_contacts")
    op.drop_table("visitor_contacts")
    op.drop_table("chat_contacts")
