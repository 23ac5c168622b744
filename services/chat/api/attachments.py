"""Attachments of a conversation (CHAT-10): send a file (raw body, typed by its content), fetch one."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.chat.api.routes import Frames
from services.chat.api.schemas import MessageOut
from services.chat.attachments import service
from services.chat.attachments.names import content_disposition
from services.chat.attachments.sniff import KINDS, UnsupportedType
from services.chat.attachments.storage import AttachmentStore
from services.common.identity import AnyCaller
from services.common.service import Runtime
from services.common.validation import PathKey

router = APIRouter(prefix="/api/v1/conversations", tags=["attachments"])
# A file is shown as what it was taken for and nothing else: no sniffing, no scripts, no plugins, no framing.
SERVED_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'",
    "cache-control": "private, no-store",
}
UPLOAD_TYPE = "application/octet-stream"  # what both clients send; the file's own type is found from its content
UPLOAD_TYPES = frozenset({UPLOAD_TYPE, *(kind.content_type for kind in KINDS)})  # or the type it says it has
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes (PNG, JPEG, GIF, WebP or PDF, by content; at most ATTACHMENT_MAX_BYTES).",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in sorted(UPLOAD_TYPES)},
    }
}


async def attachment_store(request: Request) -> AttachmentStore:
    store: AttachmentStore = request.app.state.attachments
    return store


Store = Annotated[AttachmentStore, Depends(attachment_store)]


def _length(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


@router.post(
    "/{conversation_id}/attachments",
    response_model=MessageOut,
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"model": MessageOut, "description": "A retry: the message stored with this client_msg_id."},
        415: {
            "description": "Not an image (PNG, JPEG, GIF, WebP) or a PDF, by its content; or not sent as "
            "`application/octet-stream` (`unsupported_media_type`)."
        },
    },
)
async def upload_attachment(
    conversation_id: PathKey,
    request: Request,
    caller: AnyCaller,
    runtime: Runtime,
    frames: Frames,
    store: Store,
    name: Annotated[str | None, Query(max_length=255, description="The file's name (sanitized).")] = None,
    client_msg_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    """Send a file in the conversation: a message carrying it (`attachment`) is posted like any other. Too large:
    413 `attachment_too_large`; empty: 422 `empty_file`; not an image or PDF by content: 415 `unsupported_type`."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in UPLOAD_TYPES:  # both clients send application/octet-stream; a form or JSON is no file
        raise UnsupportedType(
            f"Send the file's bytes as {UPLOAD_TYPE} (or its own type: {', '.join(sorted(UPLOAD_TYPES - {UPLOAD_TYPE}))}).",
            code="unsupported_media_type",
        )
    posted = await service.upload(
        runtime, frames, store, caller, conversation_id, request.stream(), _length(request), name, client_msg_id
    )
    return Response(
        posted.message.model_dump_json(), status_code=201 if posted.created else 200, media_type="application/json"
    )


@router.get(
    "/{conversation_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "description": "The file, with the type detected from its content when it was sent.",
            "content": {kind.content_type: {"schema": {"type": "string", "format": "binary"}} for kind in KINDS},
        }
    },
)
async def get_attachment(
    conversation_id: PathKey, attachment_id: PathKey, caller: AnyCaller, runtime: Runtime, store: Store
) -> Response:
    """The file, to the conversation's visitor, its operators and the account's managers (else 404). Images are
    `inline`, PDF `attachment`; always `nosniff` and a sandbox policy."""
    found = await service.download(runtime, store, caller, conversation_id, attachment_id)
    inline = found.content_type.startswith("image/")
    headers = {**SERVED_HEADERS, "content-disposition": content_disposition(found.name, inline)}
    return Response(found.data, media_type=found.content_type, headers=headers)
