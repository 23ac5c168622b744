"""An operator's call (ENG-2): "Invite to chat" (a bubble with their photo, name and message) or "Open chat"
(the chat window opens on the visitor's screen), to a visitor of one of the account's sites."""

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.tokens import Identity
from services.gateway import photos
from services.gateway.engage.contract import MAX_TEXT, Invitation, InvitingOperator
from services.gateway.engage.desk import InvitationDesk
from services.gateway.proxy import ServiceClients
from services.gateway.socket_frames import service_error

DEFAULT_TEXT = "Hello! Can I help you?"
VISITOR = "/api/v1/visitors/{visitor_id}"


class CallVisitor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None, min_length=1, max_length=MAX_TEXT, description=f'The message; "{DEFAULT_TEXT}" if none.'
    )
    auto_open: bool = Field(
        default=False, description="Open the chat window on the visitor's screen instead of showing a bubble."
    )


class InvitationOut(BaseModel):
    invitation_id: str
    visitor_id: str
    site_id: str
    text: str
    operator: InvitingOperator | None
    auto_open: bool
    expires_at: datetime


async def call_visitor(
    desk: InvitationDesk, clients: ServiceClients, operator: Identity, visitor_id: str, body: CallVisitor
) -> InvitationOut:
    """Offer the visitor a chat with the calling operator; 404 unless the visitor is on one of the account's
    sites (tracking says whose they are), 409 for a robot (robots get no chat)."""
    answer = await clients.call("GET", VISITOR, operator, path_params={"visitor_id": visitor_id})
    if answer.status_code == 404:
        raise NotFound("No such visitor.", code="visitor_not_found")
    if answer.status_code >= 400:
        raise service_error(answer.json(), answer.status_code)
    visitor = answer.json()
    if visitor.get("is_robot"):
        raise Conflict("This visitor is a robot; robots get no chat.", code="visitor_is_robot")
    settings = desk.runtime.settings
    face = await photos.face(desk.runtime.db, operator.account_id, operator.user_id or "", settings.public_url)
    photo = face["photo_url"] if face else None  # the bubble shows it (EMB-9), else their initials
    now = utcnow()
    invitation = Invitation(
        invitation_id=new_id(),
        account_id=operator.account_id,
        site_id=visitor["site_id"],
        visitor_id=visitor_id,
        text=body.text or DEFAULT_TEXT,
        operator=InvitingOperator(id=operator.user_id or "", name=operator.name or "Operator", photo_url=photo),
        auto_open=body.auto_open,
        offered_at=now,
        expires_at=now + timedelta(seconds=desk.runtime.settings.invitation_ttl_seconds),
    )
    await desk.offer(invitation)
    return InvitationOut.model_validate(invitation, from_attributes=True)
