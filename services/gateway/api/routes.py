"""The gateway's own endpoints: login, administration and visitors' widget sessions."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from services.common.errors import Forbidden
from services.common.service import Runtime
from services.gateway import accounts as accts
from services.gateway import auth
from services.gateway.api.schemas import (
    AccountOut,
    CreateAccount,
    CreateSite,
    CreateUser,
    LoginRequest,
    RefreshRequest,
    SiteList,
    SiteOut,
    TokenPair,
    UserList,
    UserOut,
    WidgetSession,
    WidgetSessionRequest,
)
from services.gateway.widget_session import open_session

router = APIRouter(prefix="/api/v1")


@router.post("/auth/login", response_model=TokenPair, tags=["auth"])
async def login(body: LoginRequest, runtime: Runtime) -> TokenPair:
    """Log in with e-mail and password: a short-lived access token and a refresh token."""
    return await auth.login(runtime, body.email, body.password, body.account_id)


@router.post("/auth/refresh", response_model=TokenPair, tags=["auth"])
async def refresh(body: RefreshRequest, runtime: Runtime) -> TokenPair:
    """Trade a refresh token (used once) for a new pair; `account_id` switches company."""
    return await auth.refresh(runtime, body.refresh_token, body.account_id)


@router.get("/auth/me", response_model=UserOut, tags=["auth"])
async def me(request: Request, runtime: Runtime) -> UserOut:
    identity = auth.require_user(request, runtime)
    async with runtime.db.reading() as session:
        users = await accts.account_users(session, identity.account_id)
    return next(u for u in users if u.id == identity.user_id)


@router.post("/accounts", response_model=AccountOut, status_code=201, tags=["admin"])
async def create_account(
    body: CreateAccount, runtime: Runtime, x_admin_key: Annotated[str | None, Header()] = None
) -> AccountOut:
    """Create a company with its first admin; needs the installation's `ADMIN_API_KEY`."""
    expected = runtime.settings.admin_api_key
    if not expected or x_admin_key != expected:
        raise Forbidden("A valid X-Admin-Key header is required.", code="admin_key_required")
    async with runtime.db.transaction() as session:
        account_id = await accts.create_account(session, body.name)
        await accts.add_user(session, account_id, body.admin_email, body.admin_password, body.admin_name, "admin")
    return AccountOut(id=account_id, name=body.name)


@router.get("/users", response_model=UserList, tags=["admin"])
async def list_users(request: Request, runtime: Runtime) -> UserList:
    identity = auth.require_user(request, runtime, ("supervisor", "admin"))
    async with runtime.db.reading() as session:
        return UserList(users=await accts.account_users(session, identity.account_id))


@router.post("/users", response_model=UserOut, status_code=201, tags=["admin"])
async def create_user(body: CreateUser, request: Request, runtime: Runtime) -> UserOut:
    """Add an operator, supervisor or admin to the caller's account."""
    identity = auth.require_user(request, runtime, ("admin",))
    async with runtime.db.transaction() as session:
        return await accts.add_user(session, identity.account_id, body.email, body.password, body.name, body.role)


@router.get("/sites", response_model=SiteList, tags=["admin"])
async def list_sites(request: Request, runtime: Runtime) -> SiteList:
    identity = auth.require_user(request, runtime)
    async with runtime.db.reading() as session:
        return SiteList(sites=await accts.account_sites(session, identity.account_id, runtime.settings.public_url))


@router.post("/sites", response_model=SiteOut, status_code=201, tags=["admin"])
async def create_site(body: CreateSite, request: Request, runtime: Runtime) -> SiteOut:
    """Register a website: its allowed origins, widget look, and the one-line embed snippet."""
    identity = auth.require_user(request, runtime, ("admin",))
    async with runtime.db.transaction() as session:
        return await accts.create_site(session, identity.account_id, body, runtime.settings.public_url)


@router.post("/widget/session", response_model=WidgetSession, tags=["widget"])
async def widget_session(body: WidgetSessionRequest, request: Request, runtime: Runtime) -> WidgetSession:
    """A visitor's token for a site; the request must come from one of the site's allowed origins."""
    return await open_session(
        runtime, runtime.extras["sites"], body.site_key, body.visitor_token, request.headers.get("origin")
    )
