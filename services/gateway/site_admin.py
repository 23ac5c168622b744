"""Sites as their admins change them: each change is audited and announced (`site.*` events) in its transaction.

The other services keep a read model of sites from those events (which site belongs to which account);
the payload never carries the site secret. Neither does any answer but the one to the site's creation and
to the rotation of its secret (`SiteOut.secret`).

Allowed origins and domains are also added and removed one at a time (ADM-1): adding one the site has
already is 409 (`origin_exists`, `domain_exists`), removing one it does not have 404 (`origin_not_found`,
`domain_not_found`), and its last allowed origin stays (409 `last_origin`: a site without one has no
working widget).
"""

import html
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import account_row, utcnow
from services.common.errors import Conflict, NotFound
from services.common.events import SiteCreated, SiteDeleted, SiteState, SiteUpdated
from services.common.ids import new_id
from services.common.outbox import add_event
from services.gateway import audit
from services.gateway.api.schemas import (
    MAX_SITE_DOMAINS,
    MAX_SITE_ORIGINS,
    CreateSite,
    SiteBlocking,
    SiteOut,
    SitePrivacy,
    UpdateSite,
    WidgetLook,
)
from services.gateway.models import outbox, sites
from services.gateway.site_language import DEFAULT_LANGUAGE

# What the audit log shows of a site (everything but its secret); the events carry the first three and the key.
PUBLIC_FIELDS = ("name", "domains", "allowed_origins", "widget", "privacy", "blocking", "language")
ANNOUNCED_FIELDS = ("name", "domains", "allowed_origins", "site_key")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def embed_snippet(public_url: str, site_key: str) -> str:
    """The tag the widget's loader looks for (`script[data-site][src*="widget.js"]`)."""
    src = html.escape(f"{public_url.rstrip('/')}/widget.js")
    return f'<script src="{src}" data-site="{html.escape(site_key)}" async></script>'


def site_out(row: RowMapping | dict[str, Any], public_url: str, with_secret: bool = False) -> SiteOut:
    snippet = embed_snippet(public_url, row["site_key"])
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
        language=row.get("language") or DEFAULT_LANGUAGE,
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
    conn: AsyncConnection,
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
        "domains": _unique(body.domains),
        "allowed_origins": sorted(set(body.allowed_origins)),
        "widget": body.widget.model_dump(),
        "secret": secrets.token_hex(24),
        "privacy": body.privacy.model_dump(),
        "blocking": body.blocking.model_dump(),
        "language": body.language,
        "created_at": utcnow(),
    }
    await conn.execute(insert(sites).values(**values))
    await add_event(conn, outbox, _announce(SiteCreated, values), account_id)
    await audit.record(conn, account_id, actor, "site.created", ("site", site_id), after=_public(values))
    return site_out(values, public_url, with_secret=True)


async def account_site(conn: AsyncConnection, account_id: str, site_id: str) -> RowMapping:
    return await account_row(conn, sites, account_id, site_id, NotFound("No such site.", code="site_not_found"))


async def _site_to_change(conn: AsyncConnection, account_id: str, site_id: str) -> RowMapping:
    """The site, read after taking its row's write lock (a no-op `UPDATE` first: PostgreSQL locks the row,
    SQLite takes the database's write lock and its transaction begins there), so that two admins adding
    an origin each at the same time both keep theirs."""
    touched = await conn.execute(
        update(sites).where(sites.c.id == site_id, sites.c.account_id == account_id).values(site_key=sites.c.site_key)
    )
    if touched.rowcount == 0:
        raise NotFound("No such site.", code="site_not_found")
    return await account_site(conn, account_id, site_id)


async def _change(
    conn: AsyncConnection,
    account_id: str,
    before: RowMapping,
    changes: dict[str, Any],
    public_url: str,
    actor: audit.Actor,
) -> SiteOut:
    """Store the fields that differ, audit them (`site.updated`) and announce the site's new state when
    what the services know of it changed. The answer never holds the secret."""
    site_id = before["id"]
    old, new = audit.changed(_public(before), changes)
    if not new:
        return site_out(before, public_url)
    await conn.execute(update(sites).where(sites.c.id == site_id).values(**new))
    after = await account_site(conn, account_id, site_id)
    await audit.record(conn, account_id, actor, "site.updated", ("site", site_id), old, new)
    if any(before[name] != after[name] for name in ANNOUNCED_FIELDS):
        await add_event(conn, outbox, _announce(SiteUpdated, after), account_id)
    return site_out(after, public_url)


async def update_site(
    conn: AsyncConnection, account_id: str, site_id: str, body: UpdateSite, public_url: str, actor: audit.Actor
) -> SiteOut:
    before = await _site_to_change(conn, account_id, site_id)
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.domains is not None:
        changes["domains"] = _unique(body.domains)
    if body.allowed_origins is not None:
        changes["allowed_origins"] = sorted(set(body.allowed_origins))
    if body.language is not None:
        changes["language"] = body.language
    for name in ("widget", "privacy", "blocking"):
        part = getattr(body, name)
        if part is not None:
            changes[name] = part.model_dump()
    if body.privacy is not None and "sneak_peek" not in body.privacy.model_fields_set:
        # CHAT-4: a privacy change that does not name sneak-peek never switches it back on
        changes["privacy"]["sneak_peek"] = SitePrivacy.model_validate(before["privacy"] or {}).sneak_peek
    return await _change(conn, account_id, before, changes, public_url, actor)


@dataclass(frozen=True)
class AddressList:
    """One of a site's address lists, changed one entry at a time, and how a change of it is refused."""

    column: str
    one: str  # "an allowed origin"
    many: str  # "allowed origins"
    code: str  # the error codes' stem: origin_exists, too_many_origins, origin_not_found
    limit: int
    sorted: bool
    last_one: str | None = None  # why the last entry cannot go, when it cannot


ORIGINS = AddressList(
    "allowed_origins",
    "an allowed origin",
    "allowed origins",
    "origin",
    MAX_SITE_ORIGINS,
    sorted=True,
    last_one="is the site's only allowed origin: add another first (without one the widget works nowhere).",
)
DOMAINS = AddressList("domains", "a domain", "domains", "domain", MAX_SITE_DOMAINS, sorted=False)


async def add_address(
    conn: AsyncConnection,
    account_id: str,
    site_id: str,
    kind: AddressList,
    value: str,
    public_url: str,
    actor: audit.Actor,
) -> SiteOut:
    """Add one origin or domain (already normalized: `site_addresses`)."""
    before = await _site_to_change(conn, account_id, site_id)
    values: list[str] = list(before[kind.column])
    if value in values:
        raise Conflict(f"{value} is already {kind.one} of this site.", code=f"{kind.code}_exists")
    if len(values) >= kind.limit:
        raise Conflict(f"A site has at most {kind.limit} {kind.many}.", code=f"too_many_{kind.code}s")
    values.append(value)
    changes = {kind.column: sorted(values) if kind.sorted else values}
    return await _change(conn, account_id, before, changes, public_url, actor)


async def remove_address(
    conn: AsyncConnection,
    account_id: str,
    site_id: str,
    kind: AddressList,
    value: str,
    public_url: str,
    actor: audit.Actor,
) -> SiteOut:
    before = await _site_to_change(conn, account_id, site_id)
    values: list[str] = list(before[kind.column])
    if value not in values:
        raise NotFound(f"{value} is not {kind.one} of this site.", code=f"{kind.code}_not_found")
    if kind.last_one is not None and len(values) == 1:
        raise Conflict(f"{value} {kind.last_one}", code=f"last_{kind.code}")
    changes = {kind.column: [v for v in values if v != value]}
    return await _change(conn, account_id, before, changes, public_url, actor)


async def rotate_secret(
    conn: AsyncConnection, account_id: str, site_id: str, public_url: str, actor: audit.Actor
) -> SiteOut:
    await account_site(conn, account_id, site_id)
    await conn.execute(update(sites).where(sites.c.id == site_id).values(secret=secrets.token_hex(24)))
    await audit.record(conn, account_id, actor, "site.secret_rotated", ("site", site_id), after={"secret": "rotated"})
    return site_out(await account_site(conn, account_id, site_id), public_url, with_secret=True)


async def delete_site(conn: AsyncConnection, account_id: str, site_id: str, actor: audit.Actor) -> None:
    row = await account_site(conn, account_id, site_id)
    await conn.execute(delete(sites).where(sites.c.id == site_id))
    await add_event(conn, outbox, _announce(SiteDeleted, row), account_id)
    await audit.record(conn, account_id, actor, "site.deleted", ("site", site_id), before=_public(row))


async def account_sites(conn: AsyncConnection, account_id: str, public_url: str) -> list[SiteOut]:
    rows = (
        await conn.execute(select(sites).where(sites.c.account_id == account_id).order_by(sites.c.created_at))
    ).mappings()
    return [site_out(r, public_url) for r in rows]


async def site_by_key(conn: AsyncConnection, site_key: str) -> RowMapping:
    row = (await conn.execute(select(sites).where(sites.c.site_key == site_key))).mappings().first()
    if row is None:
        raise NotFound("Unknown site key.", code="unknown_site")
    return row


async def site_by_id(conn: AsyncConnection, site_id: str) -> RowMapping | None:
    return (await conn.execute(select(sites).where(sites.c.id == site_id))).mappings().first()
