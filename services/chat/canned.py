"""Canned responses (OPS-3): texts an operator inserts with `/shortcut`, for the whole account or one queue.

A shortcut is stored in lower case and is unique within its scope (the account's own, or one queue's): a second
one is 409 `shortcut_taken`. The same shortcut may exist for the account and for a queue; the console lists the
queue's first. A queue named must be one of the account's (else 422 on a body, 404 on a query). Search (`q`) is
case-insensitive over shortcut, title and text, done here (an account has at most `MAX_CANNED` of them) so that
it reads the same on SQLite and PostgreSQL.
"""

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.api.canned_schemas import CannedIn, CannedOut
from services.chat.models import canned_responses, queues
from services.chat.queues import Unprocessable
from services.common.db import account_row, utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MAX_CANNED = 1000  # per account
ACCOUNT_SCOPE = "account"


def _missing() -> NotFound:
    return NotFound("No such canned response.", code="canned_response_not_found")


def _taken() -> Conflict:
    return Conflict("Another canned response of this scope has this shortcut.", code="shortcut_taken")


def canned_out(row: RowMapping) -> CannedOut:
    return CannedOut.model_validate(dict(row))


async def queue_exists(conn: AsyncConnection, account_id: str, queue_id: str) -> bool:
    query = select(queues.c.id).where(queues.c.account_id == account_id, queues.c.id == queue_id)
    return await conn.scalar(query) is not None


async def check_queue(conn: AsyncConnection, account_id: str, queue_id: str | None) -> None:
    """A queue named in a body is one of the account's (422 `unknown_queue` otherwise)."""
    if queue_id is not None and not await queue_exists(conn, account_id, queue_id):
        raise Unprocessable("queue_id", "no queue of this account has this id", "unknown_queue")


async def known_queue(conn: AsyncConnection, account_id: str, queue_id: str | None) -> None:
    """A queue named in a query is one of the account's (404 `queue_not_found` otherwise)."""
    if queue_id is not None and not await queue_exists(conn, account_id, queue_id):
        raise NotFound("No such queue.", code="queue_not_found")


def matches(row: RowMapping, words: str) -> bool:
    needle = words.casefold()
    return any(needle in row[column].casefold() for column in ("shortcut", "title", "text"))


async def list_canned(
    runtime: ServiceRuntime, caller: Identity, queue_id: str | None, q: str | None, every: bool
) -> list[CannedOut]:
    """The account's own responses and those of `queue_id` (`every`: of all scopes), the queue's first, by shortcut."""
    async with runtime.db.reading() as conn:
        await known_queue(conn, caller.account_id, queue_id)
        query = select(canned_responses).where(canned_responses.c.account_id == caller.account_id)
        if not every:
            scopes = [ACCOUNT_SCOPE] if queue_id is None else [ACCOUNT_SCOPE, queue_id]
            query = query.where(canned_responses.c.scope.in_(scopes))
        rows = (await conn.execute(query)).mappings().all()
    found = [row for row in rows if not q or matches(row, q)]
    found.sort(key=lambda r: (r["queue_id"] is None, r["shortcut"], r["queue_id"] or ""))
    return [canned_out(row) for row in found]


def _values(body: CannedIn) -> dict[str, object]:
    return {
        "shortcut": body.shortcut.lower(),
        "title": body.title,
        "text": body.text,
        "queue_id": body.queue_id,
        "scope": body.queue_id or ACCOUNT_SCOPE,
        "updated_at": utcnow(),
    }


async def create_canned(runtime: ServiceRuntime, caller: Identity, body: CannedIn) -> CannedOut:
    canned_id = new_id()
    try:
        async with runtime.db.transaction() as conn:
            await check_queue(conn, caller.account_id, body.queue_id)
            mine = select(canned_responses.c.id).where(canned_responses.c.account_id == caller.account_id)
            if len(list(await conn.scalars(mine))) >= MAX_CANNED:
                raise Conflict(f"An account may have at most {MAX_CANNED} canned responses.", code="too_many_canned")
            values = _values(body) | {"id": canned_id, "account_id": caller.account_id}
            await conn.execute(insert(canned_responses).values(**values, created_at=values["updated_at"]))
            row = await account_row(conn, canned_responses, caller.account_id, canned_id, _missing())
    except IntegrityError as exc:
        raise _taken() from exc
    return canned_out(row)


async def replace_canned(runtime: ServiceRuntime, caller: Identity, canned_id: str, body: CannedIn) -> CannedOut:
    try:
        async with runtime.db.transaction() as conn:
            await account_row(conn, canned_responses, caller.account_id, canned_id, _missing())
            await check_queue(conn, caller.account_id, body.queue_id)
            owned = (canned_responses.c.id == canned_id) & (canned_responses.c.account_id == caller.account_id)
            await conn.execute(update(canned_responses).where(owned).values(**_values(body)))
            row = await account_row(conn, canned_responses, caller.account_id, canned_id, _missing())
    except IntegrityError as exc:
        raise _taken() from exc
    return canned_out(row)


async def delete_canned(runtime: ServiceRuntime, caller: Identity, canned_id: str) -> None:
    async with runtime.db.transaction() as conn:
        await account_row(conn, canned_responses, caller.account_id, canned_id, _missing())
        owned = (canned_responses.c.id == canned_id) & (canned_responses.c.account_id == caller.account_id)
        await conn.execute(delete(canned_responses).where(owned))
