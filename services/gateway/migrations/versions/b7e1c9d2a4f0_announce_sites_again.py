"""announce every site again (`site.updated` in the outbox), for the rules' new read model of sites

The rules service keeps its own read model of sites from this revision on (`rules_sites`). Distributed,
its new consumer group reads the site streams from their start; embedded, the in-process bus keeps no
history, so the sites made before the rules listened are announced once more. The event is the site's
full current state, as every `site.updated` is: services that know the site already store it again.

Revision ID: b7e1c9d2a4f0
Revises: f261ccbdb4e9
Create Date: 2026-12-02 15:00:00.000000
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.common.ids import new_id

revision: str = "b7e1c9d2a4f0"
down_revision: str | None = "f261ccbdb4e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A `site.updated` event (envelope and payload as in services/common/events.py, version 1) per site."""
    bind = op.get_bind()
    sites = sa.table(
        "sites",
        sa.column("id", sa.String),
        sa.column("account_id", sa.String),
        sa.column("name", sa.String),
        sa.column("site_key", sa.String),
        sa.column("domains", sa.JSON),
        sa.column("allowed_origins", sa.JSON),
    )
    outbox = sa.table(
        "gateway_outbox",
        sa.column("id", sa.String),
        sa.column("type", sa.String),
        sa.column("body", sa.Text),
        sa.column("attempts", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    for site in bind.execute(sa.select(sites).order_by(sites.c.id)).mappings().all():
        event_id = new_id()
        body = {
            "id": event_id,
            "type": "site.updated",
            "version": 1,
            "account_id": site["account_id"],
            "occurred_at": now.isoformat(),
            "payload": {
                "site_id": site["id"],
                "site_key": site["site_key"],
                "name": site["name"],
                "domains": list(site["domains"] or []),
                "allowed_origins": list(site["allowed_origins"] or []),
            },
        }
        bind.execute(
            sa.insert(outbox).values(
                id=event_id, type="site.updated", body=json.dumps(body), attempts=0, created_at=now
            )
        )


def downgrade() -> None:
    return None  # the events were published: nothing to undo
