"""Accounts, users, memberships and sites: the gateway's own data."""

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import account_row, utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.gateway.api.schemas import (
    CreateSite,
    SiteBlocking,
    SiteOut,
    SitePrivacy,
    UpdateSite,
    UserOut,
    WidgetLook,
)
from services.gateway.models import accounts, memberships, sites, users
from services.gateway.passwords import hash_password


async def create_account(session: AsyncConnection, name: str) -> str:
    account_id = new_id()
    await session.execute(insert(accounts).values(id=account_id, name=name, created_at=utcnow()))
    return account_id


async def user_by_email(session: AsyncConnection, email: str) -> RowMapping | None:
    return (await session.execute(select(users).where(users.c.email == email.lower()))).mappings().first()


async def add_user(
    session: AsyncConnection, account_id: str, email: str, password: str, name: str, role: str
) -> UserOut:
    """Create the user (or reuse the existing one with that e-mail) and give them a role in the account."""
    existing = await user_by_email(session, email)
    if existing is None:
        user_id = new_id()
        await session.execute(
            insert(users).values(
                id=user_id, email=email.lower(), name=name, password_hash=hash_password(password), created_at=utcnow()
            )
        )
    else:
        user_id = existing["id"]
        name = existing["name"]
        member = await session.execute(
            select(memberships.c.role).where(memberships.c.user_id == user_id, memberships.c.account_id == account_id)
        )
        if member.first() is not None:
            raise Conflict("This user already belongs to the account.", code="user_exists")
    await session.execute(
        insert(memberships).values(user_id=user_id, account_id=account_id, role=role, created_at=utcnow())
    )
    return UserOut(id=user_id, email=email.lower(), name=name, role=role, account_id=account_id)


async def memberships_of(session: AsyncConnection, user_id: str) -> Sequence[RowMapping]:
    query = (
        select(accounts.c.id, accounts.c.name, memberships.c.role)
        .join(memberships, memberships.c.account_id == accounts.c.id)
        .where(memberships.c.user_id == user_id)
        .order_by(memberships.c.created_at)
    )
    return (await session.execute(query)).mappings().all()


async def account_users(session: AsyncConnection, account_id: str) -> list[UserOut]:
    query = (
        select(users.c.id, users.c.email, users.c.name, memberships.c.role, memberships.c.account_id)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.account_id == account_id)
        .order_by(users.c.email)
    )
    return [UserOut.model_validate(dict(r)) for r in (await session.execute(query)).mappings()]


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


async def create_site(
    session: AsyncConnection, account_id: str, body: CreateSite, public_url: str, site_key: str | None = None
) -> SiteOut:
    values = {
        "id": new_id(),
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
    return site_out(values, public_url, with_secret=True)


async def account_site(session: AsyncConnection, account_id: str, site_id: str) -> RowMapping:
    return await account_row(session, sites, account_id, site_id, NotFound("No such site.", code="site_not_found"))


async def update_site(
    session: AsyncConnection, account_id: str, site_id: str, body: UpdateSite, public_url: str
) -> SiteOut:
    await account_site(session, account_id, site_id)
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
    if changes:
        await session.execute(update(sites).where(sites.c.id == site_id).values(**changes))
    return site_out(await account_site(session, account_id, site_id), public_url, with_secret=True)


async def rotate_secret(session: AsyncConnection, account_id: str, site_id: str, public_url: str) -> SiteOut:
    await account_site(session, account_id, site_id)
    await session.execute(update(sites).where(sites.c.id == site_id).values(secret=secrets.token_hex(24)))
    return site_out(await account_site(session, account_id, site_id), public_url, with_secret=True)


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
