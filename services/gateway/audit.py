"""The audit log (ADM-2): who changed what in an account's configuration, written with the change.

Each entry is one action on one entity (a site, a membership, an invitation, a user) with the state of the
changed fields before and after. Secrets are never in it: a rotation is recorded as `"rotated"`.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.ids import new_id
from services.common.tokens import Identity
from services.gateway.api.schemas import AuditEntry, AuditPage
from services.gateway.models import audit_log


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, the installation (its admin key) or the system (the demo seed)."""

    type: str
    id: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, identity: Identity) -> "Actor":
        return cls("user", identity.user_id, identity.name)


SYSTEM = Actor("system", None, "Floorwalker")
INSTALLATION = Actor("installation", None, "installation admin key")


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, before and after."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record(
    conn: AsyncConnection,
    account_id: str,
    actor: Actor,
    action: str,
    entity: tuple[str, str],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an entry in the caller's transaction (it is there exactly when the change is)."""
    entity_type, entity_id = entity
    await conn.execute(
        insert(audit_log).values(
            id=new_id(),
            account_id=account_id,
            occurred_at=utcnow(),
            actor_type=actor.type,
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


async def entries(
    conn: AsyncConnection,
    account_id: str,
    limit: int,
    before_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> AuditPage:
    """One page of an account's entries, newest first; `next_before` continues after the page's last."""
    query = select(audit_log).where(audit_log.c.account_id == account_id)
    if before_id:
        query = query.where(audit_log.c.id < before_id)
    if entity_type:
        query = query.where(audit_log.c.entity_type == entity_type)
    if entity_id:
        query = query.where(audit_log.c.entity_id == entity_id)
    rows = (await conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit + 1))).mappings().all()
    page = [AuditEntry.model_validate(dict(row)) for row in rows[:limit]]
    return AuditPage(entries=page, next_before=page[-1].id if len(rows) > limit else None)
