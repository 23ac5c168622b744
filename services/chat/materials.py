"""Support materials (OPS-4): documents, links and scripts at hand during a chat, per account, queue or campaign.

A link has a URL (http or https only: a `javascript:` or `data:` URL is refused by the schema); a script has a
text (what the operator says or follows); a document is a link to a file or a text, one of the two (uploading
files is another feature). A material with a queue shows in that queue's chats; one with a campaign is labelled
with it. `GET ?queue_id=` gives the account-wide ones and that queue's; `campaign=` keeps those of no campaign
and that one.
"""

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.api.canned_schemas import MaterialIn, MaterialOut
from services.chat.canned import check_queue, known_queue
from services.chat.models import materials
from services.chat.queues import Unprocessable
from services.common.db import account_row, utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MAX_MATERIALS = 1000  # per account


def _missing() -> NotFound:
    return NotFound("No such material.", code="material_not_found")


def material_out(row: RowMapping) -> MaterialOut:
    return MaterialOut.model_validate(dict(row))


def check_shape(body: MaterialIn) -> None:
    """What each kind needs: a link its URL and no text, a script its text and no URL, a document one of them."""
    if body.kind == "link":
        if body.url is None:
            raise Unprocessable("url", "a link needs a URL (http or https)", "url_required")
        if body.text is not None:
            raise Unprocessable("text", "a link has a URL, not a text", "text_not_allowed")
    elif body.kind == "script":
        if body.text is None:
            raise Unprocessable("text", "a script needs its text", "text_required")
        if body.url is not None:
            raise Unprocessable("url", "a script has a text, not a URL", "url_not_allowed")
    elif (body.url is None) == (body.text is None):
        raise Unprocessable("url", "a document is either a link to a file (url) or a text", "url_or_text")


async def list_materials(
    runtime: ServiceRuntime, caller: Identity, queue_id: str | None, campaign: str | None, every: bool
) -> list[MaterialOut]:
    """The account-wide materials and those of `queue_id` (`every`: all of them), by title."""
    async with runtime.db.reading() as conn:
        await known_queue(conn, caller.account_id, queue_id)
        query = select(materials).where(materials.c.account_id == caller.account_id)
        if not every:
            in_queue = materials.c.queue_id.is_(None)
            query = query.where(in_queue if queue_id is None else in_queue | (materials.c.queue_id == queue_id))
            if campaign is not None:
                query = query.where(materials.c.campaign.is_(None) | (materials.c.campaign == campaign))
        rows = (await conn.execute(query.order_by(materials.c.title, materials.c.id))).mappings().all()
    return [material_out(row) for row in rows]


def _values(body: MaterialIn) -> dict[str, object]:
    return body.model_dump() | {"updated_at": utcnow()}


async def _check(conn: AsyncConnection, caller: Identity, body: MaterialIn) -> None:
    check_shape(body)
    await check_queue(conn, caller.account_id, body.queue_id)


async def create_material(runtime: ServiceRuntime, caller: Identity, body: MaterialIn) -> MaterialOut:
    material_id = new_id()
    async with runtime.db.transaction() as conn:
        await _check(conn, caller, body)
        mine = select(materials.c.id).where(materials.c.account_id == caller.account_id)
        if len(list(await conn.scalars(mine))) >= MAX_MATERIALS:
            raise Conflict(f"An account may have at most {MAX_MATERIALS} materials.", code="too_many_materials")
        values = _values(body) | {"id": material_id, "account_id": caller.account_id}
        await conn.execute(insert(materials).values(**values, created_at=values["updated_at"]))
        row = await account_row(conn, materials, caller.account_id, material_id, _missing())
    return material_out(row)


async def replace_material(
    runtime: ServiceRuntime, caller: Identity, material_id: str, body: MaterialIn
) -> MaterialOut:
    async with runtime.db.transaction() as conn:
        await account_row(conn, materials, caller.account_id, material_id, _missing())
        await _check(conn, caller, body)
        owned = (materials.c.id == material_id) & (materials.c.account_id == caller.account_id)
        await conn.execute(update(materials).where(owned).values(**_values(body)))
        row = await account_row(conn, materials, caller.account_id, material_id, _missing())
    return material_out(row)


async def delete_material(runtime: ServiceRuntime, caller: Identity, material_id: str) -> None:
    async with runtime.db.transaction() as conn:
        await account_row(conn, materials, caller.account_id, material_id, _missing())
        owned = (materials.c.id == material_id) & (materials.c.account_id == caller.account_id)
        await conn.execute(delete(materials).where(owned))
