"""The gateway's own endpoints: login, administration, visitors' widget sessions and data protection exports."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from services.common.errors import Forbidden
from services.common.identity import ADMINS_ONLY
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.track_events import Accepted, TrackBatch
from services.common.validation import PathKey
from services.gateway import accounts as accts
from services.gateway import audit, auth, invitations, privacy, site_admin
from services.gateway.api.schemas import (
    AccountOut,
    ChangePassword,
    ConsentOut,
    ConsentRequest,
    CreateAccount,
    CreateSite,
    IdentifyOut,
    IdentifyRequest,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    SiteList,
    SiteOut,
    TokenPair,
    UpdateSite,
    UserOut,
    WidgetSession,
    WidgetSessionRequest,
)
from services.gateway.api.site_lists import forget_site_caches
from services.gateway.api.site_lists import router as site_lists_router
from services.gateway.api.team import router as team_router
from services.gateway.passwords import hash_password_async
from services.gateway.state import gateway_state
from services.gateway.track_ingest import accept_events
from services.gateway.visitor_edge import admitted_visitor
from services.gateway.widget_session import grant_consent, identify, open_session

router = APIRouter(prefix="/api/v1")
# The exports answer an operator or supervisor `admins_only` (a visitor `insufficient_role`, like elsewhere here).
ExportAdmin = Annotated[Identity, Depends(auth.user_with("admin", wrong_role=ADMINS_ONLY))]


@router.post("/auth/login", response_model=TokenPair, tags=["auth"])
async def login(body: LoginRequest, request: Request, runtime: Runtime) -> TokenPair:
    """Log in with e-mail and password: a short-lived access token and a refresh token (a new session).
    Attempts are limited per e-mail and per address (429 with `Retry-After`)."""
    edge = gateway_state(request).edge
    return await auth.login(runtime, edge, body.email, body.password, body.account_id, edge.address(request))


@router.post("/auth/refresh", response_model=TokenPair, tags=["auth"])
async def refresh(body: RefreshRequest, runtime: Runtime) -> TokenPair:
    """Trade a refresh token (used once) for the next pair of its session; `account_id` switches company.
    A refresh token presented a second time ends its whole session (401)."""
    return await auth.refresh(runtime, body.refresh_token, body.account_id)


@router.post("/auth/logout", status_code=204, response_class=Response, tags=["auth"])
async def logout(request: Request, runtime: Runtime, body: LogoutRequest | None = None) -> Response:
    """End the session: its refresh tokens are refused from now on (its access tokens expire on their own)."""
    await auth.logout(runtime, body.refresh_token if body else None, auth.bearer(request))
    return Response(status_code=204)


@router.post("/auth/password", status_code=204, response_class=Response, tags=["auth"])
async def change_password(identity: auth.User, body: ChangePassword, request: Request, runtime: Runtime) -> Response:
    """Change one's password (the current one is required); every other session of the user ends."""
    edge = gateway_state(request).edge
    await auth.change_password(
        runtime,
        edge,
        identity,
        auth.bearer(request) or "",
        body.current_password,
        body.new_password,
        edge.address(request),
    )
    return Response(status_code=204)


@router.get("/auth/me", response_model=UserOut, tags=["auth"])
async def me(identity: auth.User, runtime: Runtime) -> UserOut:
    async with runtime.db.reading() as conn:
        return await accts.account_user(conn, identity.account_id, identity.user_id or "")


@router.post("/accounts", response_model=AccountOut, status_code=201, tags=["admin"])
async def create_account(
    body: CreateAccount, runtime: Runtime, x_admin_key: Annotated[str | None, Header()] = None
) -> AccountOut:
    """Create a company and invite its first admin; needs the installation's `ADMIN_API_KEY`. The admin
    joins by logging in (a new e-mail: with this password) or, having a user already, by accepting."""
    expected = runtime.settings.admin_api_key
    if not expected or x_admin_key != expected:
        raise Forbidden("A valid X-Admin-Key header is required.", code="admin_key_required")
    password_hash = await hash_password_async(body.admin_password)
    async with runtime.db.transaction() as conn:
        account_id = await accts.create_account(conn, body.name, audit.INSTALLATION)
        await invitations.invite(
            conn, account_id, body.admin_email, body.admin_name, password_hash, "admin", audit.INSTALLATION
        )
    return AccountOut(id=account_id, name=body.name)


router.include_router(team_router)


@router.get("/sites", response_model=SiteList, tags=["admin"])
async def list_sites(identity: auth.User, runtime: Runtime) -> SiteList:
    async with runtime.db.reading() as conn:
        sites = await site_admin.account_sites(conn, identity.account_id, runtime.settings.public_url)
    return SiteList(sites=sites)


@router.post("/sites", response_model=SiteOut, status_code=201, tags=["admin"])
async def create_site(identity: auth.Admin, body: CreateSite, runtime: Runtime) -> SiteOut:
    """Register a website: its allowed origins, widget look, and the one-line embed snippet."""
    async with runtime.db.transaction() as conn:
        site = await site_admin.create_site(
            conn, identity.account_id, body, runtime.settings.public_url, audit.Actor.of(identity)
        )
    runtime.after_commit()
    return site


@router.get("/sites/{site_id}", response_model=SiteOut, tags=["admin"])
async def read_site(identity: auth.User, site_id: PathKey, runtime: Runtime) -> SiteOut:
    """One site with its privacy and blocking settings (never its secret: see the rotation)."""
    async with runtime.db.reading() as conn:
        row = await site_admin.account_site(conn, identity.account_id, site_id)
    return site_admin.site_out(row, runtime.settings.public_url)


@router.patch("/sites/{site_id}", response_model=SiteOut, tags=["admin"])
async def update_site(
    identity: auth.Admin, site_id: PathKey, body: UpdateSite, request: Request, runtime: Runtime
) -> SiteOut:
    """Change a site: origins, widget look, privacy (identity verification, consent, DNT), block list."""
    async with runtime.db.transaction() as conn:
        site = await site_admin.update_site(
            conn, identity.account_id, site_id, body, runtime.settings.public_url, audit.Actor.of(identity)
        )
    runtime.after_commit()
    forget_site_caches(gateway_state(request))
    return site


@router.delete("/sites/{site_id}", status_code=204, response_class=Response, tags=["admin"])
async def delete_site(identity: auth.Admin, site_id: PathKey, request: Request, runtime: Runtime) -> Response:
    """Delete a site (admins): its widget stops at once; the services forget it (`site.deleted`)."""
    async with runtime.db.transaction() as conn:
        await site_admin.delete_site(conn, identity.account_id, site_id, audit.Actor.of(identity))
    runtime.after_commit()
    forget_site_caches(gateway_state(request))
    return Response(status_code=204)


@router.post("/sites/{site_id}/secret", response_model=SiteOut, tags=["admin"])
async def rotate_site_secret(identity: auth.Admin, site_id: PathKey, request: Request, runtime: Runtime) -> SiteOut:
    """A new site secret (admins; audited as `site.secret_rotated`): the only answer besides the site's
    creation that holds the secret. Identities signed with the old one are refused from now on."""
    async with runtime.db.transaction() as conn:
        site = await site_admin.rotate_secret(
            conn, identity.account_id, site_id, runtime.settings.public_url, audit.Actor.of(identity)
        )
    gateway_state(request).sites.forget()
    return site


router.include_router(site_lists_router)


@router.post(
    "/track/events",
    response_model=Accepted,
    status_code=202,
    tags=["tracking"],
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": TrackBatch.model_json_schema()}}}
    },
)
async def track_events(request: Request, runtime: Runtime) -> Response:
    """A batch of the visitor's events (1 to 100, at most 64 KB; token in `Authorization`, or for a beacon in the
    body's `visitor_token`; never in the URL).

    Each event is checked on its own: the answer lists the refused ones; the others are accepted and
    stored (in batches) by the tracking service.
    """
    return await accept_events(request, runtime)


@router.post("/widget/session", response_model=WidgetSession, tags=["widget"])
async def widget_session(body: WidgetSessionRequest, request: Request, runtime: Runtime) -> WidgetSession:
    """A visitor's token for a site; the request must come from one of the site's allowed origins."""
    state = gateway_state(request)
    return await open_session(runtime, state.sites, state.edge, request, body, state.button_paths)


@router.post("/widget/consent", response_model=ConsentOut, tags=["widget"])
async def widget_consent(body: ConsentRequest, request: Request, runtime: Runtime) -> ConsentOut:
    """The visitor grants (or withdraws) consent to tracking; keep the token returned."""
    visitor, site = await admitted_visitor(request, runtime)
    return await grant_consent(runtime, site, visitor, body.granted)


@router.post("/widget/identify", response_model=IdentifyOut, tags=["widget"])
async def widget_identify(body: IdentifyRequest, request: Request, runtime: Runtime) -> Response:
    """The host site's logged-in user, signed by the site's backend: `hex(HMAC-SHA256(site secret, user_id))`."""
    visitor, site = await admitted_visitor(request, runtime)
    upstream = await identify(site, gateway_state(request).clients, visitor, body)
    return Response(upstream.content, status_code=upstream.status_code, media_type="application/json")


# Data protection: these two take precedence over the forwarding to tracking (whose DELETEs stay forwarded).
@router.get("/visitors/{visitor_id}/export", tags=["data protection"])
async def export_visitor(identity: ExportAdmin, visitor_id: str, request: Request) -> Response:
    """Admins: everything stored about a visitor: tracking data, and conversations with their messages."""
    return await privacy.export(gateway_state(request).clients, identity, "visitors", visitor_id)


@router.get("/contacts/{contact_id}/export", tags=["data protection"])
async def export_contact(identity: ExportAdmin, contact_id: str, request: Request) -> Response:
    """Admins: everything stored about a contact and all its visitors, conversations included."""
    return await privacy.export(gateway_state(request).clients, identity, "contacts", contact_id)
