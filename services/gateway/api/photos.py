"""The gateway's endpoints for users' photos (EMB-3, EMB-9; `photos.py`): set and remove one's own or (admins) a
member's, the widget's look-up of the operator who answers its conversation, and the photos themselves (public, no token)."""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.errors import NotFound
from services.common.service import Runtime
from services.common.validation import ID_PATTERN
from services.gateway import audit, auth, photos
from services.gateway.routes_table import PARAMETER_SHAPES
from services.gateway.socket_frames import service_error
from services.gateway.state import gateway_state
from services.gateway.visitor_edge import admitted_visitor

router = APIRouter()
UserId = Annotated[str, Path(pattern=ID_PATTERN, description="A user's id.")]
ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="The visitor's conversation's id.")]
CONVERSATION = "/api/v1/conversations/{conversation_id}"
PhotoId = Annotated[str, Path(description="A photo's id (in its address).")]


class PhotoUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_base64: bytes = Field(
        description="The image (PNG, JPEG or WebP, at most 512 KB), base64-encoded; a `data:` URL prefix is allowed.",
    )

    @field_validator("image_base64", mode="before")
    @classmethod
    def decode(cls, value: object) -> bytes:
        if not isinstance(value, str) or not value:
            raise ValueError("must be a non-empty base64 string")
        if value.startswith("data:") and "," in value:
            value = value.split(",", 1)[1]
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("is not valid base64") from exc


class PhotoOut(BaseModel):
    photo_url: str | None = Field(description="The photo's address on the gateway (no token needed); null: none.")


class OperatorFace(BaseModel):
    """What a visitor is shown of an operator: their name and photo, nothing more."""

    id: str
    name: str
    photo_url: str | None


class AnsweringOperator(BaseModel):
    operator: OperatorFace | None = Field(description="Who answers the conversation now; null: nobody yet.")


@router.put("/api/v1/me/photo", response_model=PhotoOut, tags=["auth"])
async def set_my_photo(identity: auth.User, body: PhotoUpload, runtime: Runtime) -> PhotoOut:
    """Set the caller's own photo, shown to visitors in the widget's header and invitations (EMB-3, EMB-9).
    415 `unsupported_photo` for anything but PNG, JPEG or WebP (by content), 413 `photo_too_large` past 512 KB."""
    async with runtime.db.transaction() as conn:
        url = await photos.set_photo(
            conn, identity.account_id, identity.user_id or "", body.image_base64, audit.Actor.of(identity)
        )
    return PhotoOut(photo_url=url)


@router.delete("/api/v1/me/photo", status_code=204, response_class=Response, tags=["auth"])
async def remove_my_photo(identity: auth.User, runtime: Runtime) -> Response:
    """Remove the caller's photo (visitors see their initials); its address answers 404 from now on."""
    async with runtime.db.transaction() as conn:
        await photos.remove_photo(conn, identity.account_id, identity.user_id or "", audit.Actor.of(identity))
    return Response(status_code=204)


@router.put("/api/v1/users/{user_id}/photo", response_model=PhotoOut, tags=["admin"])
async def set_member_photo(identity: auth.Admin, user_id: UserId, body: PhotoUpload, runtime: Runtime) -> PhotoOut:
    """Set a member's photo (admins; a user of another account: 404 `user_not_found`)."""
    async with runtime.db.transaction() as conn:
        url = await photos.set_photo(conn, identity.account_id, user_id, body.image_base64, audit.Actor.of(identity))
    return PhotoOut(photo_url=url)


@router.delete("/api/v1/users/{user_id}/photo", status_code=204, response_class=Response, tags=["admin"])
async def remove_member_photo(identity: auth.Admin, user_id: UserId, runtime: Runtime) -> Response:
    """Remove a member's photo (admins; a user of another account: 404 `user_not_found`)."""
    async with runtime.db.transaction() as conn:
        await photos.remove_photo(conn, identity.account_id, user_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.get(
    "/api/v1/widget/conversations/{conversation_id}/operator", response_model=AnsweringOperator, tags=["widget"]
)
async def answering_operator(request: Request, conversation_id: ConversationId, runtime: Runtime) -> AnsweringOperator:
    """The widget's header (EMB-3): the name and photo of the operator who answers the visitor's conversation
    (null while nobody does). Only the conversation's visitor (chat checks it: anyone else 404)."""
    visitor, _site = await admitted_visitor(request, runtime)
    path = {"conversation_id": conversation_id}
    answer = await gateway_state(request).clients.call("GET", CONVERSATION, visitor, path_params=path)
    if answer.status_code >= 400:
        raise service_error(answer.json(), answer.status_code)
    user_id = answer.json().get("assigned_user_id")
    public_url = runtime.settings.public_url
    found = await photos.face(runtime.db, visitor.account_id, user_id, public_url) if isinstance(user_id, str) else None
    return AnsweringOperator(operator=OperatorFace.model_validate(found) if found else None)


# Not in the OpenAPI document (it is no API: an image for an <img>, docs/api.md); its id's shape is declared in
# `routes_table.PARAMETER_SHAPES` and checked here (another shape: 404 like an unknown one).
@router.get("/photos/{photo_id}", response_class=Response, include_in_schema=False)
async def get_photo(photo_id: PhotoId, runtime: Runtime) -> Response:
    """A user's photo, by the address given for it (no token: a host page's `<img>` loads it). 404 once removed
    or replaced."""
    found = None
    if PARAMETER_SHAPES["photo_id"].fullmatch(photo_id):
        async with runtime.db.reading() as conn:
            found = await photos.photo(conn, photo_id)
    if found is None:
        raise NotFound("No such photo.", code="photo_not_found")
    return Response(content=found["data"], media_type=found["content_type"], headers=photos.PHOTO_HEADERS)
