"""Operators' login and refresh, and who a public request comes from."""

import hashlib
from datetime import timedelta

from fastapi import Request
from sqlalchemy import select, update

from services.common.db import utcnow
from services.common.errors import Forbidden, Unauthorized
from services.common.ids import new_id, new_secret
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, access_token, identity_from_public_token
from services.gateway import accounts as accts
from services.gateway.api.schemas import AccountMembership, TokenPair, UserOut
from services.gateway.models import refresh_tokens, users
from services.gateway.passwords import verify_password


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(runtime: ServiceRuntime, user_id: str, wanted_account: str | None) -> TokenPair:
    settings = runtime.settings
    async with runtime.db.transaction() as session:
        user = (await session.execute(select(users).where(users.c.id == user_id))).mappings().one()
        members = await accts.memberships_of(session, user_id)
        if not members:
            raise Forbidden("This user belongs to no account.", code="no_account")
        chosen = next((m for m in members if m["id"] == wanted_account), None) if wanted_account else members[0]
        if chosen is None:
            raise Forbidden("This user does not belong to that account.", code="not_a_member")
        refresh = new_secret(32)
        await session.execute(
            refresh_tokens.insert().values(
                id=new_id(),
                token_hash=_hash(refresh),
                user_id=user_id,
                account_id=chosen["id"],
                expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl),
            )
        )
    identity = Identity(kind="user", account_id=chosen["id"], user_id=user_id, role=chosen["role"], name=user["name"])
    return TokenPair(
        access_token=access_token(identity, settings.jwt_secret, settings.access_token_ttl),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl,
        user=UserOut(id=user_id, email=user["email"], name=user["name"], role=chosen["role"], account_id=chosen["id"]),
        accounts=[AccountMembership.model_validate(dict(m)) for m in members],
    )


async def login(runtime: ServiceRuntime, email: str, password: str, account_id: str | None) -> TokenPair:
    async with runtime.db.reading() as session:
        user = await accts.user_by_email(session, email)
    if not verify_password(user["password_hash"] if user else None, password) or user is None:
        raise Unauthorized("Wrong e-mail or password.", code="invalid_credentials")
    return await _issue(runtime, user["id"], account_id)


async def refresh(runtime: ServiceRuntime, token: str, account_id: str | None) -> TokenPair:
    """Exchange a refresh token for a new pair; the old refresh token is used up (rotation)."""
    now = utcnow()
    async with runtime.db.transaction() as session:
        row = (
            (await session.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == _hash(token))))
            .mappings()
            .first()
        )
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
            raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
        await session.execute(update(refresh_tokens).where(refresh_tokens.c.id == row["id"]).values(revoked_at=now))
    return await _issue(runtime, row["user_id"], account_id or row["account_id"])


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(request: Request, runtime: ServiceRuntime) -> Identity | None:
    token = bearer(request)
    if token is None:
        return None
    return identity_from_public_token(token, runtime.settings.jwt_secret)[0]


def require_user(
    request: Request, runtime: ServiceRuntime, roles: tuple[str, ...] = ("operator", "supervisor", "admin")
) -> Identity:
    identity = authenticate(request, runtime)
    if identity is None:
        raise Unauthorized("Log in first.", code="not_authenticated")
    if not identity.is_user or identity.role not in roles:
        raise Forbidden(f"This needs the role {' or '.join(roles)}.", code="insufficient_role")
    return identity
