"""Visitors' sessions: a signed token binding a first-party visitor id to one site, with what the edge
learnt of them (robot, consent); identification of logged-in users and consent to tracking."""

import hashlib
import hmac
from contextlib import suppress

from fastapi import Request

from services.common.errors import Forbidden, ServiceUnavailable, Unauthorized
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, identity_from_visitor, visitor_token
from services.gateway.api.schemas import (
    ConsentOut,
    IdentifyRequest,
    PublicSite,
    TrackingPolicy,
    WidgetLook,
    WidgetSession,
    WidgetSessionRequest,
)
from services.gateway.cors import allow_refusal_reading, allow_site_origins
from services.gateway.edge import Edge
from services.gateway.passive import ButtonPaths
from services.gateway.proxy import ServiceClients, UpstreamResponse
from services.gateway.site_language import LAUNCHER_TITLES, WidgetLanguage, widget_language
from services.gateway.sites import EdgeSite, SiteDirectory, check_origin, origin_allowed


def _previous(token: str | None, site: EdgeSite, secret: str) -> Identity | None:
    if not token:
        return None
    try:
        previous, _ = identity_from_visitor(token, secret)
    except Unauthorized:
        return None
    return previous if previous.site_id == site.id else None


def tracking_policy(site: EdgeSite, identity: Identity) -> TrackingPolicy:
    privacy = site.privacy
    consent = bool(identity.consent)
    return TrackingPolicy(
        enabled=not identity.robot and (consent or not privacy.consent_required),
        consent_required=privacy.consent_required,
        consent=consent,
        honor_dnt=privacy.honor_dnt,
    )


def _session(
    runtime: ServiceRuntime,
    site: EdgeSite,
    identity: Identity,
    button_paths: list[str] | None = None,
    language: WidgetLanguage = "en",
) -> WidgetSession:
    settings = runtime.settings
    assert identity.visitor_id is not None
    return WidgetSession(
        visitor_token=visitor_token(identity, settings.jwt_secret, settings.visitor_token_ttl),
        visitor_id=identity.visitor_id,
        expires_in=settings.visitor_token_ttl,
        site=PublicSite(
            id=site.id,
            name=site.name,
            widget=WidgetLook.model_validate(site.widget),
            language=language,
            launcher_title=LAUNCHER_TITLES[language],
            sneak_peek=site.privacy.sneak_peek,
        ),
        tracking=tracking_policy(site, identity),
        robot=bool(identity.robot),
        button_paths=button_paths,
    )


async def open_session(
    runtime: ServiceRuntime,
    directory: SiteDirectory,
    edge: Edge,
    request: Request,
    body: WidgetSessionRequest,
    button: ButtonPaths | None = None,
) -> WidgetSession:
    """Keep the visitor id (and consent) of a valid token for the same site; anything else is a new visitor.
    With `button`, where the site's chat button shows (passive mode)."""
    ip = edge.address(request)
    await edge.limit_address(ip)
    site = await directory.by_key(body.site_key)
    origin = request.headers.get("origin")
    if origin and not origin_allowed(site, origin):
        allow_refusal_reading(request, origin)  # the page may read why it gets no session (CORS), only that
    check_origin(site, origin)
    allow_site_origins(request, site)  # the page may read the answer (CORS)
    robot = edge.robot(request)
    edge.check_blocked(site, request, ip, robot)
    previous = _previous(body.visitor_token, site, runtime.settings.jwt_secret)
    identity = Identity(
        kind="visitor",
        account_id=site.account_id,
        site_id=site.id,
        visitor_id=previous.visitor_id if previous else new_id(),
        robot=robot,
        consent=previous.consent if previous else None,
    )
    paths = await button.of(site, identity) if button is not None and not robot else None
    language = widget_language(site.language, body.lang, request.headers.get("accept-language"))
    return _session(runtime, site, identity, paths, language)


async def grant_consent(runtime: ServiceRuntime, site: EdgeSite, visitor: Identity, granted: bool) -> ConsentOut:
    """A new token for the visitor that carries their answer (the widget keeps it for the next pages)."""
    session = _session(runtime, site, visitor.model_copy(update={"consent": granted}))
    return ConsentOut(consent=granted, visitor_token=session.visitor_token)


def signature_of(secret: str, user_id: str) -> str:
    """What the site's backend sends as `signature`: hex HMAC-SHA256 of the user id with the site secret."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def identify(
    site: EdgeSite, clients: ServiceClients, visitor: Identity, body: IdentifyRequest
) -> UpstreamResponse:
    """Check the host site's signature, then let tracking link the visitor to the contact."""
    verified = False
    if body.signature is not None:
        expected = signature_of(site.secret or "", body.user_id)
        if not site.secret or not hmac.compare_digest(expected, body.signature.lower()):
            raise Forbidden("The identity signature is wrong.", code="identity_not_verified")
        verified = True
    elif site.privacy.identity_verification:
        raise Forbidden("This site requires a signed identity.", code="identity_not_verified")
    payload = body.model_dump(exclude={"signature"}) | {"verified": verified}
    tracked = await clients.call("POST", "/internal/v1/track/identify", visitor, json=payload)
    if tracked.status_code == 200:  # chat's contact too (the customer card, CHAT-8); tracking's is the record
        with suppress(ServiceUnavailable):  # chat down or not run here: the card learns it at the next identify
            await clients.call("POST", "/internal/v1/contacts/identify", visitor, json=payload)
    return tracked
