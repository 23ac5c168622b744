"""routing gap and languages (reserved for H1; a no-op until filled)

Revision ID: 11e5c0de0005
Revises: 11d4c0de0004
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

revision: str = "11e5c0de0005"
down_revision: str | None = "11d4c0de0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
