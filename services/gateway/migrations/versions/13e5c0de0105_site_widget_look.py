"""site widget look (reserved for H7; a no-op until filled)

Revision ID: 13e5c0de0105
Revises: 13a1c0de0101
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

revision: str = "13e5c0de0105"
down_revision: str | None = "13a1c0de0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
