"""Users' photos (EMB-3, EMB-9): the face the widget shows for an operator, in its header and in an invitation.

- One photo per user at most, uploaded by the user for themselves or by an admin for a member of their account:
  PNG, JPEG or WebP, told by its first bytes (never by a name or a claimed type), at most `MAX_PHOTO_BYTES`.
- Stored in the gateway's database (small; every replica serves it, no shared disk), served without a token at
  `/photos/<id>` so that a host page's `<img>` loads it: `id` is random (not the user's id), new with each
  upload, so the address cannot be guessed and always shows the same image (cached as immutable). Served with
  its detected type, `nosniff` and a policy that runs nothing (`default-src 'none'; sandbox`).
- Removing it answers 404 at its address from then on; a user's photo goes with the user (cascade).
"""

import secrets
from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database, utcnow
from services.common.errors import AppError, NotFound, PayloadTooLarge
from services.common.validation import ID_SHAPE
from services.gateway import accounts as accts
from services.gateway import audit
from services.gateway.models import PHOTO_PREFIX, user_photos

MAX_PHOTO_BYTES = 512 * 1024
PHOTO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",  # a customer's page shows it
    "Content-Disposition": "inline",
}


class UnsupportedPhoto(AppError):
    status_code = 415
    code = "unsupported_photo"


def photo_url(photo_id: str | None) -> str | None:
    """The photo's address on the gateway's own origin (the widget resolves it against the gateway)."""
    return PHOTO_PREFIX + photo_id if photo_id else None


def photo_type(data: bytes) -> str | None:
    """The image type of these bytes (PNG, JPEG, WebP), by their signature; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def set_photo(conn: AsyncConnection, account_id: str, user_id: str, data: bytes, actor: audit.Actor) -> str:
    """Replace the user's photo (a member of the account, else 404) by `data`; its new address."""
    await accts.account_user(conn, account_id, user_id)
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(f"A photo may have at most {MAX_PHOTO_BYTES // 1024} KB.", code="photo_too_large")
    content_type = photo_type(data)
    if content_type is None:
        raise UnsupportedPhoto("A photo must be a PNG, JPEG or WebP image.")
    before = await photo_of_user(conn, user_id)
    await conn.execute(delete(user_photos).where(user_photos.c.user_id == user_id))
    photo_id = secrets.token_urlsafe(24)  # 32 characters: `routes_table.PARAMETER_SHAPES["photo_id"]`
    await conn.execute(
        insert(user_photos).values(
            id=photo_id, user_id=user_id, content_type=content_type, size=len(data), data=data, created_at=utcnow()
        )
    )
    url = photo_url(photo_id) or ""
    after = {"photo_url": url, "content_type": content_type, "size": len(data)}
    await audit.record(conn, account_id, actor, "user.photo_set", ("user", user_id), _state(before), after)
    return url


async def remove_photo(conn: AsyncConnection, account_id: str, user_id: str, actor: audit.Actor) -> None:
    """The user (a member of the account, else 404) has no photo any more; its address answers 404."""
    await accts.account_user(conn, account_id, user_id)
    before = await photo_of_user(conn, user_id)
    if before is None:
        return
    await conn.execute(delete(user_photos).where(user_photos.c.user_id == user_id))
    await audit.record(conn, account_id, actor, "user.photo_removed", ("user", user_id), _state(before))


def _state(photo_id: str | None) -> dict[str, str] | None:
    return {"photo_url": photo_url(photo_id) or ""} if photo_id else None


async def photo_of_user(conn: AsyncConnection, user_id: str) -> str | None:
    """The id of the user's photo, if they have one."""
    return await conn.scalar(select(user_photos.c.id).where(user_photos.c.user_id == user_id))


async def photo_urls(conn: AsyncConnection, user_ids: Iterable[str]) -> dict[str, str]:
    """The photo address of each of these users who has one."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(user_photos.c.user_id, user_photos.c.id).where(user_photos.c.user_id.in_(wanted)))
    return {row.user_id: PHOTO_PREFIX + row.id for row in rows}


async def photo(conn: AsyncConnection, photo_id: str) -> RowMapping | None:
    """The stored photo at this id (its type and bytes), or None."""
    query = select(user_photos.c.content_type, user_photos.c.data).where(user_photos.c.id == photo_id)
    return (await conn.execute(query)).mappings().first()


async def face(db: Database, account_id: str, user_id: str, public_url: str) -> dict[str, str | None] | None:
    """What a visitor is shown of a member of the account (`id`, `name`, `photo_url`): an invitation's operator,
    the widget's header; None for anyone else. The photo's address is absolute, on the gateway's `public_url`:
    the widget runs on the customer's page and shows it as it is."""
    if not ID_SHAPE.fullmatch(user_id):
        return None
    async with db.reading() as conn:
        try:
            user = await accts.account_user(conn, account_id, user_id)
        except NotFound:
            return None
    photo = public_url.rstrip("/") + user.photo_url if user.photo_url else None
    return {"id": user.id, "name": user.name, "photo_url": photo}
