"""site sneak peek (reserved for H3; a no-op until filled)

Revision ID: 13a1c0de0101
Revises: b7e1c9d2a4f0
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

revision: str = "13a1c0de0101"
down_revision: str | None = "b7e1c9d2a4f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
