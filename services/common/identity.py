"""FastAPI dependencies by which a service learns who calls: only from the gateway's signed header."""

from typing import Annotated

from fastapi import Depends, Request

from services.common.errors import Forbidden, Unauthorized
from services.common.tokens import INTERNAL_HEADER, Identity, identity_from_internal


async def current_identity(request: Request) -> Identity:
    header = request.headers.get(INTERNAL_HEADER)
    if not header:
        raise Unauthorized("Authentication is required.", code="not_authenticated")
    secret: str = request.app.state.runtime.settings.internal_secret
    return identity_from_internal(header, secret)


async def current_user(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.is_user:
        raise Forbidden("Only operators may do this.", code="operators_only")
    return identity


async def current_visitor(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if identity.kind != "visitor":
        raise Forbidden("Only visitors may do this.", code="visitors_only")
    return identity


AnyCaller = Annotated[Identity, Depends(current_identity)]
Operator = Annotated[Identity, Depends(current_user)]
Visitor = Annotated[Identity, Depends(current_visitor)]
