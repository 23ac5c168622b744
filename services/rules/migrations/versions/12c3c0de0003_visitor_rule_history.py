"""visitor rule history: each visitor's firings of each rule (how many, the last), so that "at most N shows" and
"not again for N days" outlive the live state (ENG-5)

Revision ID: 12c3c0de0003
Revises: 12b2c0de0002
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "12c3c0de0003"
down_revision: str | None = "12b2c0de0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rules_visitor_rule_history",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("visitor_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("fired_total", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "visitor_id", "rule_id", name=op.f("pk_rules_visitor_rule_history")),
    )


def downgrade() -> None:
    op.drop_table("rules_visitor_rule_history")
