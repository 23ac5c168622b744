"""Signed tokens: operators' access tokens, visitors' tokens, and the gateway's internal identity."""

import time
from typing import Annotated, Any, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from services.common.errors import Unauthorized
from services.common.secret_store import secret_problem

ALGORITHM = "HS256"  # the only one accepted: `none`, RS256, HS512 ... are refused (401)
Role = Literal["operator", "supervisor", "admin"]
ClaimId = Annotated[str, Field(min_length=1, max_length=64)]


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


class _Claims(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    exp: int
    iat: int


class AccessClaims(_Claims):
    typ: Literal["access"]
    sub: ClaimId
    acc: ClaimId
    role: Role
    name: str | None = Field(default=None, max_length=200)
    sid: ClaimId | None = None  # the refresh token family (the login session) it was issued with


class VisitorClaims(_Claims):
    typ: Literal["visitor"]
    sub: ClaimId
    acc: ClaimId
    site: ClaimId
    bot: str | None = Field(default=None, max_length=200)
    cst: bool | None = None


_PUBLIC_CLAIMS: TypeAdapter[AccessClaims | VisitorClaims] = TypeAdapter(
    Annotated[AccessClaims | VisitorClaims, Field(discriminator="typ")]
)


def _usable(secret: str) -> str:
    """A signing secret that is empty or public would make every token forgeable: never sign with one."""
    problem = secret_problem(secret)
    if problem:
        raise RuntimeError(f"the signing secret {problem}")
    return secret


def encode(claims: dict[str, Any], secret: str, ttl: int) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + ttl}, _usable(secret), algorithm=ALGORITHM)


def decode(token: str, secret: str, *types: str) -> dict[str, Any]:
    """Verify a token once (HS256 only, `exp`, `iat` and `typ` required) and check its `typ` is one of `types`."""
    if secret_problem(secret):
        raise Unauthorized("The token is not valid.", code="invalid_token")  # nothing verifies against such a key
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "typ"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is not valid.", code="invalid_token") from exc
    if claims.get("typ") not in types:
        raise Unauthorized(f"A {' or '.join(types)} token is required.", code="invalid_token")
    return claims


def access_token(identity: Identity, secret: str, ttl: int, session_id: str | None = None) -> str:
    """`session_id`: the refresh token family this token belongs to (claim `sid`)."""
    claims: dict[str, Any] = {
        "typ": "access",
        "sub": identity.user_id,
        "acc": identity.account_id,
        "role": identity.role,
        "name": identity.name,
    }
    if session_id:
        claims["sid"] = session_id
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


def _claims(claims: dict[str, Any]) -> AccessClaims | VisitorClaims:
    """The claims of a verified token, checked: a missing claim or an unknown role is a bad token (401)."""
    try:
        return _PUBLIC_CLAIMS.validate_python(claims)
    except ValidationError as exc:
        raise Unauthorized("The token is not valid.", code="invalid_token") from exc


def _public_identity(raw: dict[str, Any]) -> tuple[Identity, int]:
    claims = _claims(raw)
    if isinstance(claims, AccessClaims):
        identity = Identity(kind="user", account_id=claims.acc, user_id=claims.sub, role=claims.role, name=claims.name)
    else:
        identity = Identity(
            kind="visitor",
            account_id=claims.acc,
            site_id=claims.site,
            visitor_id=claims.sub,
            robot=claims.bot,
            consent=claims.cst,
        )
    return identity, claims.exp


def identity_from_access(token: str, secret: str) -> tuple[Identity, int]:
    return _public_identity(decode(token, secret, "access"))


def identity_from_visitor(token: str, secret: str) -> tuple[Identity, int]:
    return _public_identity(decode(token, secret, "visitor"))


def access_session(token: str, secret: str) -> str | None:
    """The login session (refresh token family) of an operator's access token, if it names one."""
    claims = _claims(decode(token, secret, "access"))
    return claims.sid if isinstance(claims, AccessClaims) else None


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
    try:
        return Identity.model_validate(decode(token, secret, "internal").get("id"))
    except ValidationError as exc:
        raise Unauthorized("The identity header is not valid.", code="invalid_token") from exc
