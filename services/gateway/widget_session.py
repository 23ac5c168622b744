"""Visitors' sessions: a signed token binding a first-party visitor id to one site."""

from services.common.errors import Unauthorized
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, identity_from_visitor, visitor_token
from services.gateway.api.schemas import PublicSite, WidgetLook, WidgetSession
from services.gateway.sites import SiteDirectory, check_origin


async def open_session(
    runtime: ServiceRuntime, directory: SiteDirectory, site_key: str, previous_token: str | None, origin: str | None
) -> WidgetSession:
    """Keep the visitor id of a valid token for the same site; anything else starts a new visitor."""
    site = await directory.by_key(site_key)
    check_origin(site, origin)
    settings = runtime.settings
    visitor_id: str | None = None
    if previous_token:
        try:
            previous, _ = identity_from_visitor(previous_token, settings.jwt_secret)
            if previous.site_id == site.id:
                visitor_id = previous.visitor_id
        except Unauthorized:
            visitor_id = None
    identity = Identity(kind="visitor", account_id=site.account_id, site_id=site.id, visitor_id=visitor_id or new_id())
    assert identity.visitor_id is not None
    return WidgetSession(
        visitor_token=visitor_token(identity, settings.jwt_secret, settings.visitor_token_ttl),
        visitor_id=identity.visitor_id,
        expires_in=settings.visitor_token_ttl,
        site=PublicSite(id=site.id, name=site.name, widget=WidgetLook.model_validate(site.widget)),
    )
