"""A site's allowed origins and domains, added and removed one at a time by its account's admins (ADM-1).

Each change is audited and announced (`site.updated`) like a `PATCH`; the answer is the site, without its
secret. An origin cannot be a path segment (it holds `://`), so it is named in the body of the `DELETE`;
a domain can, and is. See `site_admin` for the 404s and 409s.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey
from services.gateway import audit, auth, site_admin
from services.gateway.api.schemas import SiteDomainIn, SiteOriginIn, SiteOut
from services.gateway.site_addresses import DOMAIN_PATTERN, normalize_domain
from services.gateway.state import GatewayState, gateway_state

router = APIRouter()
DomainPath = Annotated[str, Path(pattern=DOMAIN_PATTERN, description="One of the site's domains.")]
ChangeAddresses = Callable[
    [AsyncConnection, str, str, site_admin.AddressList, str, str, audit.Actor], Awaitable[SiteOut]
]


def forget_site_caches(state: GatewayState) -> None:
    """The edge reads the site (and CORS every site's origins) afresh: a change takes effect at once."""
    state.sites.forget()
    state.site_origins.forget()


async def change_addresses(
    identity: Identity,
    site_id: str,
    request: Request,
    runtime: Runtime,
    change: ChangeAddresses,
    kind: site_admin.AddressList,
    value: str,
) -> SiteOut:
    """One origin or domain added or removed (`change`), committed, and in effect at once."""
    async with runtime.db.transaction() as conn:
        site = await change(
            conn, identity.account_id, site_id, kind, value, runtime.settings.public_url, audit.Actor.of(identity)
        )
    runtime.after_commit()
    forget_site_caches(gateway_state(request))
    return site


@router.post("/sites/{site_id}/origins", response_model=SiteOut, status_code=201, tags=["admin"])
async def add_site_origin(
    identity: auth.Admin, site_id: PathKey, body: SiteOriginIn, request: Request, runtime: Runtime
) -> SiteOut:
    """Allow one more origin (`scheme://host[:port]`, no path) to embed the widget (admins). 409
    `origin_exists` when the site allows it already, `too_many_origins` past 50."""
    return await change_addresses(
        identity, site_id, request, runtime, site_admin.add_address, site_admin.ORIGINS, body.origin
    )


@router.delete("/sites/{site_id}/origins", response_model=SiteOut, tags=["admin"])
async def remove_site_origin(
    identity: auth.Admin, site_id: PathKey, body: SiteOriginIn, request: Request, runtime: Runtime
) -> SiteOut:
    """Stop allowing an origin (admins), named in the body: `{"origin": "https://shop.example"}`. 404
    `origin_not_found` when the site does not allow it; 409 `last_origin` for the only one left."""
    return await change_addresses(
        identity, site_id, request, runtime, site_admin.remove_address, site_admin.ORIGINS, body.origin
    )


@router.post("/sites/{site_id}/domains", response_model=SiteOut, status_code=201, tags=["admin"])
async def add_site_domain(
    identity: auth.Admin, site_id: PathKey, body: SiteDomainIn, request: Request, runtime: Runtime
) -> SiteOut:
    """Add a domain (a host name or IP address) to the site (admins). 409 `domain_exists` when it has it."""
    return await change_addresses(
        identity, site_id, request, runtime, site_admin.add_address, site_admin.DOMAINS, body.domain
    )


@router.delete("/sites/{site_id}/domains/{domain}", response_model=SiteOut, tags=["admin"])
async def remove_site_domain(
    identity: auth.Admin, site_id: PathKey, domain: DomainPath, request: Request, runtime: Runtime
) -> SiteOut:
    """Remove one of the site's domains (admins). 404 `domain_not_found` when it has no such domain."""
    try:
        name = normalize_domain(domain)
    except ValueError:
        name = domain.lower()  # of no domain's shape: not one of the site's
    return await change_addresses(
        identity, site_id, request, runtime, site_admin.remove_address, site_admin.DOMAINS, name
    )
