"""visit caps history: the visit of each rule's last firing for a visitor, how many times it fired in it, and the
visit in which the visitor last closed one of its invitations, so that "once per visit" and "not again this
visit after a close" outlive the live state lost within the visit (issue 12)

Revision ID: 12e5c0de0004
Revises: 12c3c0de0003
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "12e5c0de0004"
down_revision: str | None = "12c3c0de0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rules_visitor_rule_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("fired_in_visit", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("closed_visit_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rules_visitor_rule_history", schema=None) as batch_op:
        batch_op.drop_column("closed_visit_id")
        batch_op.drop_column("fired_in_visit")
        batch_op.drop_column("visit_id")
