"""Sending and fetching attachments: a file checked by its content, kept in the store, carried by a message.

An upload is read as it streams, up to `ATTACHMENT_MAX_BYTES` (a body that says or turns out to be larger is
refused with 413 at once, the rest unread), typed by its first bytes (`sniff`: images and PDF only, else 415),
kept in the store under a new id, recorded in `chat_attachments`, then announced by a message like any other
(`conversations.post`: stored once under the client's id, delivered live, its frame durable). The message's
text is the file's (sanitized) name, so transcripts and older clients show it. A file is read by whoever may
read the conversation (`audience.check_visible`): its visitor, its operators, the account's managers.
"""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience
from services.chat import conversations as convs
from services.chat import repository as repo
from services.chat.attachments.names import safe_name
from services.chat.attachments.sniff import SNIFF_BYTES, require_kind
from services.chat.attachments.storage import AttachmentStore
from services.chat.models import attachments, conversations
from services.chat.realtime import PendingFrames
from services.common.db import utcnow
from services.common.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity


@dataclass
class Download:
    name: str
    content_type: str
    data: bytes


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"An attachment may have at most {limit} bytes.", code="attachment_too_large")


async def read_limited(chunks: AsyncIterator[bytes], declared_length: int | None, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it says or proves to be larger than `limit`: never read further."""
    if declared_length is not None and declared_length > limit:
        raise too_large(limit)
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


async def _writable(runtime: ServiceRuntime, identity: Identity, conversation_id: str, client_msg_id: str) -> bool:
    """Checks before the body is read: the caller sees the conversation (else 404), it is open (else 409).
    True when this client message id is stored already (a retry)."""
    async with runtime.db.reading() as conn:
        row = await audience.check_visible(
            conn, identity, await repo.conversation(conn, identity.account_id, conversation_id)
        )
        if await repo.message_by_client_id(conn, conversation_id, client_msg_id) is not None:
            return True
        if row["state"] == "closed":
            raise Conflict("The conversation is closed.", code="conversation_closed")
    return False


async def upload(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    store: AttachmentStore,
    identity: Identity,
    conversation_id: str,
    body: AsyncIterator[bytes],
    declared_length: int | None,
    name: str | None,
    client_msg_id: str | None,
) -> convs.Posted:
    """Store the file and post the message carrying it; a retry of a stored one returns it (the body unread)."""
    client_msg_id = client_msg_id or new_id()
    if await _writable(runtime, identity, conversation_id, client_msg_id):
        return await convs.post(runtime, frames, identity, conversation_id, client_msg_id, "(retry)")
    data = await read_limited(body, declared_length, runtime.settings.attachment_max_bytes)
    if not data:
        raise InvalidInput("The file is empty.", code="empty_file")
    kind = require_kind(data[:SNIFF_BYTES])
    attachment_id = new_id()
    ref: dict[str, Any] = {
        "id": attachment_id,
        "name": safe_name(name, kind),
        "content_type": kind.content_type,
        "size": len(data),
    }
    await store.put(attachment_id, data)
    sender_type = "operator" if identity.is_user else "visitor"
    row = {
        **ref,
        "conversation_id": conversation_id,
        "account_id": identity.account_id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "sender_type": sender_type,
        "sender_id": identity.user_id if identity.is_user else identity.visitor_id,
        "created_at": utcnow(),
    }
    try:
        async with runtime.db.transaction() as conn:
            await conn.execute(insert(attachments).values(**row))
        posted = await convs.post(runtime, frames, identity, conversation_id, client_msg_id, ref["name"], ref)
    except BaseException:
        await _forget(runtime, store, attachment_id)
        raise
    if not posted.created:  # a concurrent retry stored its own copy first: this one is not needed
        await _forget(runtime, store, attachment_id)
        return posted
    async with runtime.db.transaction() as conn:
        await conn.execute(
            update(attachments).where(attachments.c.id == attachment_id).values(message_id=posted.message.id)
        )
    return posted


async def _forget(runtime: ServiceRuntime, store: AttachmentStore, attachment_id: str) -> None:
    async with runtime.db.transaction() as conn:
        await conn.execute(delete(attachments).where(attachments.c.id == attachment_id))
    await store.delete(attachment_id)


async def _attachment(
    runtime: ServiceRuntime, identity: Identity, conversation_id: str, attachment_id: str
) -> RowMapping:
    async with runtime.db.reading() as conn:
        conversation = await repo.conversation(conn, identity.account_id, conversation_id)
        await audience.check_visible(conn, identity, conversation)
        query = select(attachments).where(
            attachments.c.id == attachment_id,
            attachments.c.conversation_id == conversation_id,
            attachments.c.account_id == identity.account_id,
        )
        row: RowMapping | None = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("No such attachment.", code="attachment_not_found")
    return row


async def download(
    runtime: ServiceRuntime, store: AttachmentStore, identity: Identity, conversation_id: str, attachment_id: str
) -> Download:
    """The file, to a caller who may read its conversation; anyone else, or an unknown id: 404."""
    row = await _attachment(runtime, identity, conversation_id, attachment_id)
    data = await store.get(attachment_id)
    if data is None:
        raise NotFound("No such attachment.", code="attachment_not_found")
    return Download(name=row["name"], content_type=row["content_type"], data=data)


async def erase_visitor_files(conn: AsyncConnection, store: AttachmentStore, account_id: str, visitor_id: str) -> int:
    """Data protection: every file of the visitor's conversations in the account (theirs and the operators'),
    its bytes and its row, deleted inside the erasure's transaction (before its commit: a failed batch is handled
    again and finds the rows still there; a file already gone is nothing to do). Returns how many."""
    owned = select(conversations.c.id).where(
        conversations.c.account_id == account_id, conversations.c.visitor_id == visitor_id
    )
    ids = list(await conn.scalars(select(attachments.c.id).where(attachments.c.conversation_id.in_(owned))))
    for attachment_id in ids:
        await store.delete(attachment_id)
    if ids:
        await conn.execute(delete(attachments).where(attachments.c.id.in_(ids)))
    return len(ids)
