"""tracking_sites: the gateway's sites as tracking knows them (read model of the site events)

Revision ID: 7c1f0e5a9d42
Revises: 4eeee826d3ca
Create Date: 2026-11-25 09:00:00.000000

Sites created before the gateway published `site.created` come in two ways: here, every (site, account)
pair tracking's own visitors carry (each came from a visitor token the gateway signed for that site, so
the pair is the gateway's word); and the site events the gateway publishes (docs/architecture.md,
"Sites in tracking"), which fill in the rest and every site without visitors. Nothing is taken from
`site_settings`: before this revision the first writer of a site id could claim it there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1f0e5a9d42"
down_revision: str | None = "4eeee826d3ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tracking_sites",
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("site_key", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("domains", sa.JSON(), nullable=True),
        sa.Column("allowed_origins", sa.JSON(), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_tracking_sites")),
    )
    with op.batch_alter_table("tracking_sites", schema=None) as batch_op:
        batch_op.create_index("ix_tracking_sites_account", ["account_id"], unique=False)
    # A site id seen with two accounts (impossible through the gateway) is left out: its owner is not known.
    op.execute(
        "INSERT INTO tracking_sites (site_id, account_id, deleted) "
        "SELECT site_id, MIN(account_id), false FROM visitors GROUP BY site_id HAVING COUNT(DISTINCT account_id) = 1"
    )


def downgrade() -> None:
    with op.batch_alter_table("tracking_sites", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_sites_account")
    op.drop_table("tracking_sites")
