"""Sites as their admins change them: each change is audited and announced (`site.*` events) in its transaction.

The other services keep a read model of sites from those events (which site belongs to which account);
the payload never carries the site secret.
"""

import secrets
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import account_row, utcnow
from services.common.errors import NotFound
from services.common.events import SiteCreated, SiteDeleted, SiteState, SiteUpdated
from services.common.ids import new_id
from services.common.outbox import add_event
from services.gateway import audit
from services.gateway.api.schemas import CreateSite, SiteBlocking, SiteOut, SitePrivacy, UpdateSite, WidgetLook
from services.gateway.models import outbox, sites

# What the audit log shows of a site (everything but its secret); the events carry the first three and the key.
PUBLIC_FIELDS = ("name", "domains", "allowed_origins", "widget", "privacy", "blocking")
ANNOUNCED_FIELDS = ("name", "domains", "allowed_origins", "site_key")


def _origin(url: str) -> str:
    return url.rstrip("/")


def site_out(row: RowMapping | dict[str, Any], public_url: str, with_secret: bool = False) -> SiteOut:
    snippet = f'<script src="{public_url.rstrip("/")}/widget.js" data-site="{row["site_key"]}" async></script>'
    return SiteOut(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        site_key=row["site_key"],
        domains=row["domains"],
        allowed_origins=row["allowed_origins"],
        widget=WidgetLook.model_validate(row["widget"]),
        privacy=SitePrivacy.model_validate(row["privacy"] or {}),
        blocking=SiteBlocking.model_validate(row["blocking"] or {}),
        embed_snippet=snippet,
        secret=row["secret"] if with_secret else None,
    )


def _public(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in PUBLIC_FIELDS}


def _announce(kind: type[SiteState], row: RowMapping | dict[str, Any]) -> SiteState:
    return kind(
        site_id=row["id"],
        site_key=row["site_key"],
        name=row["name"],
        domains=list(row["domains"]),
        allowed_origins=list(row["allowed_origins"]),
    )


async def create_site(
    session: AsyncConnection,
    account_id: str,
    body: CreateSite,
    public_url: str,
    actor: audit.Actor,
    site_key: str | None = None,
) -> SiteOut:
    site_id = new_id()
    values: dict[str, Any] = {
        "id": site_id,
        "account_id": account_id,
        "name": body.name,
        "site_key": site_key or secrets.token_urlsafe(16),
        "domains": [d.lower() for d in body.domains],
        "allowed_origins": sorted({_origin(str(o)) for o in body.allowed_origins}),
        "widget": body.widget.model_dump(),
        "secret": secrets.token_hex(24),
        "privacy": body.privacy.model_dump(),
        "blocking": body.blocking.model_dump(),
        "created_at": utcnow(),
    }
    await session.execute(insert(sites).values(**values))
    await add_event(session, outbox, _announce(SiteCreated, values), account_id)
    await audit.record(session, account_id, actor, "site.created", ("site", site_id), after=_public(values))
    return site_out(values, public_url, with_secret=True)


async def account_site(session: AsyncConnection, account_id: str, site_id: str) -> RowMapping:
    return await account_row(session, sites, account_id, site_id, NotFound("No such site.", code="site_not_found"))


async def update_site(
    session: AsyncConnection, account_id: str, site_id: str, body: UpdateSite, public_url: str, actor: audit.Actor
) -> SiteOut:
    before = await account_site(session, account_id, site_id)
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.domains is not None:
        changes["domains"] = [d.lower() for d in body.domains]
    if body.allowed_origins is not None:
        changes["allowed_origins"] = sorted({_origin(str(o)) for o in body.allowed_origins})
    for name in ("widget", "privacy", "blocking"):
        part = getattr(body, name)
        if part is not None:
            changes[name] = part.model_dump()
    old, new = audit.changed(_public(before), changes)
    if not new:
        return site_out(before, public_url, with_secret=True)
    await session.execute(update(sites).where(sites.c.id == site_id).values(**new))
    after = await account_site(session, account_id, site_id)
    await audit.record(session, account_id, actor, "site.updated", ("site", site_id), old, new)
    if any(before[name] != after[name] for name in ANNOUNCED_FIELDS):
        await add_event(session, outbox, _announce(SiteUpdated, after), account_id)
    return site_out(after, public_url, with_secret=True)


async def rotate_secret(
    session: AsyncConnection, account_id: str, site_id: str, public_url: str, actor: audit.Actor
) -> SiteOut:
    await account_site(session, account_id, site_id)
    await session.execute(update(sites).where(sites.c.id == site_id).values(secret=secrets.token_hex(24)))
    await audit.record(
        session, account_id, actor, "site.secret_rotated", ("site", site_id), after={"secret": "rotated"}
    )
    return site_out(await account_site(session, account_id, site_id), public_url, with_secret=True)


async def delete_site(session: AsyncConnection, account_id: str, site_id: str, actor: audit.Actor) -> None:
    row = await account_site(session, account_id, site_id)
    await session.execute(delete(sites).where(sites.c.id == site_id))
    await add_event(session, outbox, _announce(SiteDeleted, row), account_id)
    await audit.record(session, account_id, actor, "site.deleted", ("site", site_id), before=_public(row))


async def account_sites(session: AsyncConnection, account_id: str, public_url: str) -> list[SiteOut]:
    rows = (
        await session.execute(select(sites).where(sites.c.account_id == account_id).order_by(sites.c.created_at))
    ).mappings()
    return [site_out(r, public_url) for r in rows]


async def site_by_key(session: AsyncConnection, site_key: str) -> RowMapping:
    row = (await session.execute(select(sites).where(sites.c.site_key == site_key))).mappings().first()
    if row is None:
        raise NotFound("Unknown site key.", code="unknown_site")
    return row


async def site_by_id(session: AsyncConnection, site_id: str) -> RowMapping | None:
    return (await session.execute(select(sites).where(sites.c.id == site_id))).mappings().first()
