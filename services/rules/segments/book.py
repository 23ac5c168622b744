"""An account's segments: listed, created, read, replaced, deleted and moved, each in one transaction that
holds the account's segment book (`repository.lock_book`), so positions stay 0, 1, ... without gaps. The
book and the four defaults (`defaults.py`) are made at the account's first use (a listing, an edit, a live
visitor evaluated); a default deleted later is not made again. Every edit of a segment (definition, name,
place) adds one to its `version`."""

from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules.segments import repository
from services.rules.segments.defaults import default_segments
from services.rules.segments.schemas import MAX_SEGMENTS_PER_ACCOUNT, SegmentDefinition, SegmentOut, SegmentReplace


def no_such_segment() -> NotFound:
    return NotFound("No such segment.", code="segment_not_found")


def definition_of(row: RowMapping) -> SegmentDefinition:
    return SegmentDefinition.model_validate({**row["definition"], "name": row["name"]})


def segment_out(row: RowMapping) -> SegmentOut:
    return SegmentOut.model_validate(
        {
            **row["definition"],
            "name": row["name"],
            "id": row["id"],
            "position": row["position"],
            "version": row["version"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def _columns(definition: SegmentDefinition) -> dict[str, Any]:
    return {"name": definition.name, "definition": definition.model_dump(mode="json", exclude={"name", "version"})}


def _new_row(account_id: str, position: int, definition: SegmentDefinition, user_id: str | None) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(),
        "account_id": account_id,
        "position": position,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "updated_by": user_id,
        **_columns(definition),
    }


async def open_book(conn: AsyncConnection, account_id: str) -> None:
    """The account's book, with the defaults if this is its first use; held for the transaction."""
    if await repository.open_book(conn, account_id):
        for position, definition in enumerate(default_segments()):
            await repository.insert_segment(conn, _new_row(account_id, position, definition, None))
    await repository.lock_book(conn, account_id)


async def account_rows(runtime: ServiceRuntime, account_id: str) -> list[RowMapping]:
    """The account's segments in order (the defaults made first if the account has none yet)."""
    async with runtime.db.reading() as conn:
        rows = await repository.account_segments(conn, account_id)
        if rows or await repository.has_book(conn, account_id):
            return rows
    async with runtime.db.transaction() as conn:
        await open_book(conn, account_id)
        return await repository.account_segments(conn, account_id)


async def list_segments(runtime: ServiceRuntime, caller: Identity) -> list[SegmentOut]:
    return [segment_out(row) for row in await account_rows(runtime, caller.account_id)]


async def create_segment(runtime: ServiceRuntime, editor: Identity, definition: SegmentDefinition) -> SegmentOut:
    """A new segment, last in the account's order."""
    async with runtime.db.transaction() as conn:
        await open_book(conn, editor.account_id)
        count = await repository.count_segments(conn, editor.account_id)
        if count >= MAX_SEGMENTS_PER_ACCOUNT:
            raise Conflict(
                f"An account may have at most {MAX_SEGMENTS_PER_ACCOUNT} segments.", code="too_many_segments"
            )
        values = _new_row(editor.account_id, count, definition, editor.user_id)
        await repository.insert_segment(conn, values)
        row = await repository.account_segment(conn, editor.account_id, values["id"])
    assert row is not None
    return segment_out(row)


async def get_segment(runtime: ServiceRuntime, caller: Identity, segment_id: str) -> SegmentOut:
    async with runtime.db.reading() as conn:
        row = await repository.account_segment(conn, caller.account_id, segment_id)
    if row is None:
        raise no_such_segment()
    return segment_out(row)


async def _for_edit(conn: AsyncConnection, editor: Identity, segment_id: str) -> RowMapping:
    """The caller's account's segment, with the account's book held (404 when it is not there)."""
    if await repository.account_segment(conn, editor.account_id, segment_id) is None:
        raise no_such_segment()
    await open_book(conn, editor.account_id)
    row = await repository.account_segment(conn, editor.account_id, segment_id)  # as it is once held
    if row is None:
        raise no_such_segment()
    return row


async def replace_segment(
    runtime: ServiceRuntime, editor: Identity, segment_id: str, body: SegmentReplace
) -> SegmentOut:
    definition = SegmentDefinition.model_validate(body.model_dump(exclude={"version"}))
    async with runtime.db.transaction() as conn:
        row = await _for_edit(conn, editor, segment_id)
        if body.version is not None and body.version != row["version"]:
            raise Conflict(
                f"The segment was changed meanwhile (it is at version {row['version']}).",
                code="version_conflict",
                details={"version": row["version"]},
            )
        changes = {**_columns(definition), "version": row["version"] + 1, "updated_at": utcnow()}
        await repository.update_segment(conn, segment_id, {**changes, "updated_by": editor.user_id})
        saved = await repository.account_segment(conn, editor.account_id, segment_id)
    assert saved is not None
    return segment_out(saved)


async def delete_segment(runtime: ServiceRuntime, editor: Identity, segment_id: str) -> None:
    """Delete the segment (its visitors fall to the next one they match); the later ones move up one place."""
    async with runtime.db.transaction() as conn:
        await _for_edit(conn, editor, segment_id)
        await repository.delete_segment(conn, segment_id)
        await repository.set_positions(conn, await repository.account_segments(conn, editor.account_id))


async def move_segment(runtime: ServiceRuntime, editor: Identity, segment_id: str, position: int) -> list[SegmentOut]:
    """Put the segment at `position` (0 first; past the end: last); the account's segments in their new order."""
    async with runtime.db.transaction() as conn:
        row = await _for_edit(conn, editor, segment_id)
        before = await repository.account_segments(conn, editor.account_id)
        ordered = [r for r in before if r["id"] != segment_id]
        ordered.insert(min(position, len(ordered)), row)
        if [r["id"] for r in ordered] != [r["id"] for r in before]:
            await repository.set_positions(conn, ordered)
            changes = {"version": row["version"] + 1, "updated_at": utcnow(), "updated_by": editor.user_id}
            await repository.update_segment(conn, segment_id, changes)
        return [segment_out(r) for r in await repository.account_segments(conn, editor.account_id)]
