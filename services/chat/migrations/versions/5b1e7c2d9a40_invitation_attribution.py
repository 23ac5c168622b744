"""invitation attribution: the invitation (and its rule and variant) a conversation was started from

Revision ID: 5b1e7c2d9a40
Revises: 47853ac0e2dc
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e7c2d9a40"
down_revision: str | None = "47853ac0e2dc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rule_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("variant", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("variant")
        batch_op.drop_column("rule_id")
        batch_op.drop_column("invitation_id")
