"""The operator's call: `POST /api/v1/visitors/{visitor_id}/invitations` (a route of the gateway's own: the
gateway holds the visitors' live sockets and their invitations)."""

from typing import Annotated

from fastapi import APIRouter, Body, Path

from services.common.validation import ID_PATTERN
from services.gateway.auth import User
from services.gateway.engage.calls import CallVisitor, InvitationOut, call_visitor
from services.gateway.state import Gateway

router = APIRouter(prefix="/api/v1", tags=["engagement"])
VisitorId = Annotated[str, Path(pattern=ID_PATTERN, description="The visitor's id (a UUID).")]


@router.post("/visitors/{visitor_id}/invitations", response_model=InvitationOut, status_code=201)
async def invite_visitor(
    visitor_id: VisitorId, operator: User, gateway: Gateway, body: Annotated[CallVisitor | None, Body()] = None
) -> InvitationOut:
    """Operators: call a visitor of the account's sites now. The invitation (or, with `auto_open`, the open chat
    window) shows on every tab of theirs within a second, also when they never opened the chat; accepting it
    starts a conversation assigned to the caller. 404 for a visitor of another account."""
    return await call_visitor(gateway.invitations, gateway.clients, operator, visitor_id, body or CallVisitor())
