"""Group conversations (CHAT-7): `POST /api/v1/group-conversations`, a route of the gateway's own.

An operator picks several visitors and starts one conversation with all of them. Chat cannot tell whose a visitor
is, so the gateway asks tracking for each (as the caller: a visitor of another account is 404 there) and refuses
robots, then has chat start the conversation with the visitors and their sites (`/internal/v1/group-conversations`).
"""

from typing import Annotated, Any, Self

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.common.errors import Conflict, NotFound
from services.common.tokens import Identity
from services.common.validation import ID_PATTERN
from services.gateway.auth import User
from services.gateway.proxy import ServiceClients
from services.gateway.socket_frames import service_error
from services.gateway.state import Gateway

VISITOR = "/api/v1/visitors/{visitor_id}"
START = "/internal/v1/group-conversations"
VisitorId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
router = APIRouter(prefix="/api/v1", tags=["conversations"])


class StartGroupConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visitor_ids: list[VisitorId] = Field(
        min_length=2,
        max_length=20,
        description="Visitors of the account's sites (live: tracking knows them), each once.",
        json_schema_extra={"uniqueItems": True},
    )
    text: str = Field(min_length=1, max_length=4000, description="The first message, to all of them.")

    @model_validator(mode="after")
    def distinct(self) -> Self:
        if len(set(self.visitor_ids)) != len(self.visitor_ids):
            raise ValueError("each visitor once")
        return self


async def _site_of(clients: ServiceClients, operator: Identity, visitor_id: str) -> str:
    answer = await clients.call("GET", VISITOR, operator, path_params={"visitor_id": visitor_id})
    if answer.status_code == 404:
        raise NotFound(f"No such visitor: {visitor_id}.", code="visitor_not_found", details={"visitor_id": visitor_id})
    if answer.status_code >= 400:
        raise service_error(answer.json(), answer.status_code)
    visitor = answer.json()
    if visitor.get("is_robot"):
        raise Conflict("A robot gets no chat.", code="visitor_is_robot", details={"visitor_id": visitor_id})
    return str(visitor["site_id"])


async def start_group(clients: ServiceClients, operator: Identity, body: StartGroupConversation) -> dict[str, Any]:
    visitors = [{"visitor_id": v, "site_id": await _site_of(clients, operator, v)} for v in body.visitor_ids]
    answer = await clients.call("POST", START, operator, json={"visitors": visitors, "text": body.text})
    payload: dict[str, Any] = answer.json()
    if answer.status_code >= 400:
        raise service_error(payload, answer.status_code)
    return payload


@router.post("/group-conversations", status_code=201)
async def start_group_conversation(body: StartGroupConversation, operator: User, gateway: Gateway) -> dict[str, Any]:
    """Operators: one conversation with several visitors of the account (2 to 20), theirs at once; each visitor
    sees it in their widget and every visitor's messages, with their name ("Visitor 2"). 404 `visitor_not_found`
    for a visitor of another account (or unknown), 409 `visitor_is_robot`."""
    return await start_group(gateway.clients, operator, body)
