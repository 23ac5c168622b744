"""Signed tokens: operators' access tokens, visitors' tokens, and the gateway's internal identity."""

import time
from typing import Any, Literal

import jwt
from pydantic import BaseModel

from services.common.errors import Unauthorized

ALGORITHM = "HS256"
Role = Literal["operator", "supervisor", "admin"]


class Identity(BaseModel):
    """Who is calling, as established by the gateway and forwarded to the services."""

    kind: Literal["user", "visitor"]
    account_id: str
    user_id: str | None = None
    role: Role | None = None
    name: str | None = None
    site_id: str | None = None
    visitor_id: str | None = None

    @property
    def is_user(self) -> bool:
        return self.kind == "user"


def encode(claims: dict[str, Any], secret: str, ttl: int) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + ttl}, secret, algorithm=ALGORITHM)


def decode(token: str, secret: str, typ: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "typ"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is not valid.", code="invalid_token") from exc
    if claims.get("typ") != typ:
        raise Unauthorized(f"A {typ} token is required.", code="invalid_token")
    return claims


def access_token(identity: Identity, secret: str, ttl: int) -> str:
    claims = {
        "typ": "access",
        "sub": identity.user_id,
        "acc": identity.account_id,
        "role": identity.role,
        "name": identity.name,
    }
    return encode(claims, secret, ttl)


def visitor_token(identity: Identity, secret: str, ttl: int) -> str:
    claims = {"typ": "visitor", "sub": identity.visitor_id, "acc": identity.account_id, "site": identity.site_id}
    return encode(claims, secret, ttl)


def identity_from_access(token: str, secret: str) -> tuple[Identity, int]:
    c = decode(token, secret, "access")
    return Identity(kind="user", account_id=c["acc"], user_id=c["sub"], role=c["role"], name=c.get("name")), int(
        c["exp"]
    )


def identity_from_visitor(token: str, secret: str) -> tuple[Identity, int]:
    c = decode(token, secret, "visitor")
    return Identity(kind="visitor", account_id=c["acc"], site_id=c["site"], visitor_id=c["sub"]), int(c["exp"])


INTERNAL_HEADER = "X-FW-Identity"
INTERNAL_TTL = 120


def internal_token(identity: Identity, secret: str) -> str:
    return encode({"typ": "internal", "id": identity.model_dump(exclude_none=True)}, secret, INTERNAL_TTL)


def identity_from_internal(token: str, secret: str) -> Identity:
    return Identity.model_validate(decode(token, secret, "internal")["id"])
