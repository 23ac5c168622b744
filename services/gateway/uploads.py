"""Chat attachments' uploads at the edge (CHAT-10): the body read as it streams, refused (413) as soon as it
says or proves to be larger than `ATTACHMENT_MAX_BYTES`, then forwarded whole to chat, which checks it again
(its size, its type by content, who may write in the conversation). The input guard leaves these bodies alone
(`validation.STREAMED_BODY`): they are files, not JSON."""

from fastapi import Request

from services.common.errors import PayloadTooLarge
from services.gateway.routes_table import RouteMatch

STREAMED = frozenset({("POST", "/api/v1/conversations/{conversation_id}/attachments")})


def is_streamed(match: RouteMatch) -> bool:
    return (match.route.method, match.route.template) in STREAMED


async def read_upload(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    refused = PayloadTooLarge(f"An attachment may have at most {limit} bytes.", code="attachment_too_large")
    if declared.isdigit() and int(declared) > limit:
        raise refused
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise refused
        parts.append(chunk)
    return b"".join(parts)
