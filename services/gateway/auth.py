"""Operators' sessions: login (throttled), refresh (rotation with reuse detection), logout, password change;
and who a public request comes from.

A login starts a session: a family of refresh tokens, each used once. Refreshing uses the token up and
gives the next of its family; presenting a used-up token again means it was stolen (or the session was
ended): the whole family is revoked. Access tokens are short-lived and name their family (`sid`).
"""

import hashlib
import logging
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import Forbidden, Unauthorized
from services.common.identity import INSUFFICIENT_ROLE, STAFF, CallerRole, Refusal, RoleRequired
from services.common.ids import new_id, new_secret
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, access_session, access_token, identity_from_public_token
from services.gateway import accounts as accts
from services.gateway import audit, invitations, login_throttle
from services.gateway.api.schemas import AccountMembership, TokenPair, UserOut
from services.gateway.edge import Edge
from services.gateway.models import refresh_tokens, users
from services.gateway.passwords import hash_password_async, verify_password_async

log = logging.getLogger("floorwalker.auth")
tokens = refresh_tokens.c


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(
    conn: AsyncConnection, runtime: ServiceRuntime, user: RowMapping, wanted_account: str | None, family_id: str
) -> TokenPair:
    """A new access and refresh token of the family, for one of the user's accounts."""
    settings = runtime.settings
    members = await accts.memberships_of(conn, user["id"])
    if not members:
        raise Forbidden("This user belongs to no account.", code="no_account")
    chosen = next((m for m in members if m["id"] == wanted_account), None) if wanted_account else members[0]
    if chosen is None:
        raise Forbidden("This user does not belong to that account.", code="not_a_member")
    refresh = new_secret(32)
    now = utcnow()
    await conn.execute(
        refresh_tokens.insert().values(
            id=new_id(),
            token_hash=_hash(refresh),
            user_id=user["id"],
            account_id=chosen["id"],
            family_id=family_id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl),
        )
    )
    identity = Identity(
        kind="user", account_id=chosen["id"], user_id=user["id"], role=chosen["role"], name=user["name"]
    )
    return TokenPair(
        access_token=access_token(identity, settings.jwt_secret, settings.access_token_ttl, family_id),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl,
        user=UserOut(
            id=user["id"], email=user["email"], name=user["name"], role=chosen["role"], account_id=chosen["id"]
        ),
        accounts=[AccountMembership.model_validate(dict(m)) for m in members],
    )


async def login(
    runtime: ServiceRuntime, edge: Edge, email: str, password: str, account_id: str | None, ip: str | None
) -> TokenPair:
    """Throttled before anything is looked up; an unknown e-mail is checked against a dummy hash, so it
    takes as long and answers the same as a wrong password."""
    await login_throttle.check(edge, email, ip)
    async with runtime.db.reading() as conn:
        user = await accts.user_by_email(conn, email)
    valid = await verify_password_async(user["password_hash"] if user else None, password)
    if not valid or user is None:
        raise Unauthorized("Wrong e-mail or password.", code="invalid_credentials")
    async with runtime.db.transaction() as conn:
        await conn.execute(update(users).where(users.c.id == user["id"]).values(last_login_at=utcnow()))
        await invitations.accept_on_first_login(conn, user["id"], audit.Actor("user", user["id"], user["name"]))
        return await _issue(conn, runtime, user, account_id, family_id=new_id())


async def _revoke_family(conn: AsyncConnection, family_id: str) -> None:
    await conn.execute(
        update(refresh_tokens)
        .where(tokens.family_id == family_id, tokens.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def refresh(runtime: ServiceRuntime, token: str, account_id: str | None) -> TokenPair:
    """Exchange a refresh token for the next pair of its family; `account_id` switches company.

    A token used before (or of an ended session) is refused, and its whole family with it.
    """
    now = utcnow()
    async with runtime.db.transaction() as conn:
        row = (await conn.execute(select(refresh_tokens).where(tokens.token_hash == _hash(token)))).mappings().first()
        if row is None or row["expires_at"] <= now:
            raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
        used = await conn.execute(
            update(refresh_tokens).where(tokens.id == row["id"], tokens.revoked_at.is_(None)).values(revoked_at=now)
        )
        if used.rowcount == 1:
            user = (await conn.execute(select(users).where(users.c.id == row["user_id"]))).mappings().one()
            return await _issue(conn, runtime, user, account_id or row["account_id"], row["family_id"])
        await _revoke_family(conn, row["family_id"])
    log.warning(
        "a used refresh token was presented again: session %s of user %s revoked", row["family_id"], row["user_id"]
    )
    raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")


async def logout(runtime: ServiceRuntime, refresh_token: str | None, bearer_token: str | None) -> None:
    """End a session: the family of the refresh token given, or else of the access token (`sid`)."""
    family_id: str | None = None
    async with runtime.db.transaction() as conn:
        if refresh_token:
            query = select(tokens.family_id).where(tokens.token_hash == _hash(refresh_token))
            family_id = await conn.scalar(query)
            if family_id is None:
                return  # unknown or long gone: nothing to end
        elif bearer_token:
            family_id = access_session(bearer_token, runtime.settings.jwt_secret)
        if family_id is None:
            raise Unauthorized("Send the session's refresh token (or an access token).", code="not_authenticated")
        await _revoke_family(conn, family_id)


async def change_password(
    runtime: ServiceRuntime,
    edge: Edge,
    identity: Identity,
    bearer_token: str,
    current: str,
    new: str,
    ip: str | None,
) -> None:
    """Needs the current password (throttled like a login); ends every other session of the user."""
    async with runtime.db.reading() as conn:
        user = (await conn.execute(select(users).where(users.c.id == identity.user_id))).mappings().first()
    if user is None:
        raise Unauthorized("Log in first.", code="not_authenticated")
    await login_throttle.check(edge, user["email"], ip)
    if not await verify_password_async(user["password_hash"], current):
        raise Forbidden("The current password is wrong.", code="wrong_password")
    new_hash = await hash_password_async(new)
    keep = access_session(bearer_token, runtime.settings.jwt_secret)
    async with runtime.db.transaction() as conn:
        await conn.execute(update(users).where(users.c.id == user["id"]).values(password_hash=new_hash))
        others = update(refresh_tokens).where(tokens.user_id == user["id"], tokens.revoked_at.is_(None))
        if keep:
            others = others.where(tokens.family_id != keep)
        await conn.execute(others.values(revoked_at=utcnow()))
        actor = audit.Actor.of(identity)
        await audit.record(conn, identity.account_id, actor, "user.password_changed", ("user", user["id"]))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(request: Request, runtime: ServiceRuntime) -> Identity | None:
    token = bearer(request)
    if token is None:
        return None
    return identity_from_public_token(token, runtime.settings.jwt_secret)[0]


def bearer_identity(request: Request) -> Identity:
    """The caller of the token in `Authorization` (the gateway's `RoleRequired` source)."""
    identity = authenticate(request, request.app.state.runtime)
    if identity is None:
        raise Unauthorized("Log in first.", code="not_authenticated")
    return identity


def user_with(*roles: CallerRole, wrong_role: Refusal = INSUFFICIENT_ROLE) -> RoleRequired:
    """The gateway's role check: a visitor, or a user of another role, gets 403 `insufficient_role`."""
    return RoleRequired(*roles, source=bearer_identity, wrong_kind=INSUFFICIENT_ROLE, wrong_role=wrong_role)


User = Annotated[Identity, Depends(user_with(*STAFF))]  # any user of the account
Supervisor = Annotated[Identity, Depends(user_with("supervisor", "admin"))]
Admin = Annotated[Identity, Depends(user_with("admin"))]
