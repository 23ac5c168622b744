"""Who calls, and whether they may: `RoleRequired`, the one FastAPI dependency every service checks roles with.

It gives the caller's `Identity` when their role (`visitor`, or a user's `operator`, `supervisor`, `admin`) is
one of those required; else 401 (no identity, or one not valid) or 403 (another kind or role of caller).
A service learns the caller from the gateway's signed header (`internal_identity`, the default); the gateway
from the caller's own token (`gateway.auth.bearer_identity`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from services.common.errors import Forbidden, Unauthorized
from services.common.tokens import INTERNAL_HEADER, Identity, identity_from_internal

CallerRole = Literal["visitor", "operator", "supervisor", "admin"]
STAFF: tuple[CallerRole, ...] = ("operator", "supervisor", "admin")
IdentitySource = Callable[[Request], Identity]  # raises 401 when the request has no valid identity


@dataclass(frozen=True)
class Refusal:
    """The 403 answer; `{roles}` in the message names the roles required."""

    code: str
    message: str


OPERATORS_ONLY = Refusal("operators_only", "Only operators may do this.")
VISITORS_ONLY = Refusal("visitors_only", "Only visitors may do this.")
ADMINS_ONLY = Refusal("admins_only", "Only admins may do this.")
INSUFFICIENT_ROLE = Refusal("insufficient_role", "This needs the role {roles}.")


def internal_identity(request: Request) -> Identity:
    """The identity the gateway signed into the request's header."""
    header = request.headers.get(INTERNAL_HEADER)
    if not header:
        raise Unauthorized("Authentication is required.", code="not_authenticated")
    secret: str = request.app.state.runtime.settings.internal_secret
    return identity_from_internal(header, secret)


def role_of(identity: Identity) -> str | None:
    return "visitor" if identity.kind == "visitor" else identity.role


def check_role(
    identity: Identity,
    roles: tuple[CallerRole, ...],
    wrong_kind: Refusal | None = None,
    wrong_role: Refusal | None = None,
) -> Identity:
    """`identity` when its role is one of `roles`. Else 403: `wrong_kind` for a visitor where users are
    required or a user where visitors are (default `operators_only` / `visitors_only`), `wrong_role` for a
    user of another role (default `admins_only` where only admins may, else `insufficient_role`)."""
    if role_of(identity) in roles:
        return identity
    if identity.is_user and any(role != "visitor" for role in roles):
        refusal = wrong_role or (ADMINS_ONLY if roles == ("admin",) else INSUFFICIENT_ROLE)
    else:
        refusal = wrong_kind or (VISITORS_ONLY if "visitor" in roles else OPERATORS_ONLY)
    raise Forbidden(refusal.message.format(roles=" or ".join(roles)), code=refusal.code)


class RoleRequired:
    """FastAPI dependency: the caller's `Identity` (from `source`) when they have one of `roles` (`check_role`).

    `Annotated[Identity, Depends(RoleRequired("admin"))]`, or one of the aliases below.
    """

    def __init__(
        self,
        *roles: CallerRole,
        source: IdentitySource = internal_identity,
        wrong_kind: Refusal | None = None,
        wrong_role: Refusal | None = None,
    ) -> None:
        if not roles:
            raise ValueError("RoleRequired needs at least one role")
        self.roles = roles
        self.source = source
        self.wrong_kind = wrong_kind
        self.wrong_role = wrong_role

    async def __call__(self, request: Request) -> Identity:
        return check_role(self.source(request), self.roles, self.wrong_kind, self.wrong_role)


AnyCaller = Annotated[Identity, Depends(RoleRequired("visitor", *STAFF))]
Operator = Annotated[Identity, Depends(RoleRequired(*STAFF))]  # any user of the account: operators and up
Admin = Annotated[Identity, Depends(RoleRequired("admin"))]
Visitor = Annotated[Identity, Depends(RoleRequired("visitor"))]
