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
    robot: str | None = None  # why the gateway took this visitor for a robot (`useragent.robot_reason`)
    consent: bool | None = None  # the visitor's tracking consent (asked only where the site requires it)
    ip: str | None = None  # the client address the gateway saw (behind trusted proxies)

    @property
    def is_user(self) -> bool:
        return self.kind == "user"


def encode(claims: dict[str, Any], secret: str, ttl: int) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + ttl}, secret, algorithm=ALGORITHM)


def decode(token: str, secret: str, *types: str) -> dict[str, Any]:
    """Verify a token once and check that its `typ` claim is one of `types`."""
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "typ"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is not valid.", code="invalid_token") from exc
    if claims.get("typ") not in types:
        raise Unauthorized(f"A {' or '.join(types)} token is required.", code="invalid_token")
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
    claims: dict[str, Any] = {
        "typ": "visitor",
        "sub": identity.visitor_id,
        "acc": identity.account_id,
        "site": identity.site_id,
    }
    if identity.robot:
        claims["bot"] = identity.robot
    if identity.consent is not None:
        claims["cst"] = identity.consent
    return encode(claims, secret, ttl)


def _public_identity(claims: dict[str, Any]) -> tuple[Identity, int]:
    if claims["typ"] == "access":
        identity = Identity(
            kind="user", account_id=claims["acc"], user_id=claims["sub"], role=claims["role"], name=claims.get("name")
        )
    else:
        identity = Identity(
            kind="visitor",
            account_id=claims["acc"],
            site_id=claims["site"],
            visitor_id=claims["sub"],
            robot=claims.get("bot"),
            consent=claims.get("cst"),
        )
    return identity, int(claims["exp"])


def identity_from_access(token: str, secret: str) -> tuple[Identity, int]:
    return _public_identity(decode(token, secret, "access"))


def identity_from_visitor(token: str, secret: str) -> tuple[Identity, int]:
    return _public_identity(decode(token, secret, "visitor"))


_VERIFIED_LIMIT = 20_000
_verified: dict[tuple[str, str], tuple[Identity, int]] = {}


def identity_from_public_token(token: str, secret: str) -> tuple[Identity, int]:
    """An operator's access token or a visitor's token, told apart by their type claim (one verification).

    A token verified before is not verified again until it expires (a visitor's widget sends the same
    token with every batch): the signature check was a tenth of the gateway's CPU per tracking batch.
    """
    key = (token, secret)
    hit = _verified.get(key)
    if hit is not None and hit[1] > time.time():
        return hit[0].model_copy(), hit[1]
    found = _public_identity(decode(token, secret, "access", "visitor"))
    if len(_verified) >= _VERIFIED_LIMIT:
        _verified.clear()
    _verified[key] = found
    return found[0].model_copy(), found[1]


INTERNAL_HEADER = "X-FW-Identity"
INTERNAL_TTL = 120


def internal_token(identity: Identity, secret: str) -> str:
    return encode({"typ": "internal", "id": identity.model_dump(exclude_none=True)}, secret, INTERNAL_TTL)


def identity_from_internal(token: str, secret: str) -> Identity:
    return Identity.model_validate(decode(token, secret, "internal")["id"])
