"""site sneak peek (CHAT-4): every site's switch written down, on as before

Sneak-peek (operators see the visitor's draft as it is typed) is a per-site switch kept in the site's
`privacy` document (`SitePrivacy.sneak_peek`, editable with `PATCH /api/v1/sites/{site_id}` and in the console's
site admin). Sites made before it existed had no such key and so followed the schema's default; this revision
writes the key down for each of them (on, which is what they did until now), so that what a site does no longer
depends on a default that may change, and a site whose privacy was never set gets a document.

Revision ID: 13a1c0de0101
Revises: b7e1c9d2a4f0
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "13a1c0de0101"
down_revision: str | None = "b7e1c9d2a4f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

sites = sa.table("sites", sa.column("id", sa.String), sa.column("privacy", sa.JSON))


def _rewrite(change: Any) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(sites.c.id, sites.c.privacy).order_by(sites.c.id)).mappings().all():
        privacy = dict(row["privacy"] or {})
        changed = change(privacy)
        if changed is not None:
            bind.execute(sa.update(sites).where(sites.c.id == row["id"]).values(privacy=changed))


def upgrade() -> None:
    _rewrite(lambda privacy: None if "sneak_peek" in privacy else {**privacy, "sneak_peek": True})


def downgrade() -> None:
    # the key goes: the code before had no sneak-peek at all, and its `SitePrivacy` refuses unknown keys
    _rewrite(
        lambda privacy: {k: v for k, v in privacy.items() if k != "sneak_peek"} if "sneak_peek" in privacy else None
    )
