"""A site's invitation rules: list, create, read, replace, change, delete and move, each checked against the
sites read model (`sites.py`: 404 unless the site is the caller's account's) and done in one transaction.

Writes to one site's rules are serialized (its read-model row is locked on PostgreSQL; SQLite has one
writer), so positions stay 0, 1, ... without gaps. Every edit of a rule (its definition, name, enabled
flag or place) adds one to its `version`; rules shifted by another rule's move or deletion keep theirs.
"""

from typing import Any

from pydantic import ValidationError
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules import repository
from services.rules.api.schemas import MAX_RULES_PER_SITE, RuleOut, RulePatch, RuleReplace
from services.rules.engine.actions import RuleDefinition
from services.rules.sites import SITES

FORMAT = 1  # the JSON format of `rules.definition`
EDITABLE = ("name", "enabled")


def no_such_rule() -> NotFound:
    return NotFound("No such rule.", code="rule_not_found")


def definition_of(row: RowMapping) -> RuleDefinition:
    return RuleDefinition.model_validate({**row["definition"], "name": row["name"], "enabled": row["enabled"]})


def rule_out(row: RowMapping) -> RuleOut:
    return RuleOut.model_validate(
        {
            **row["definition"],
            "name": row["name"],
            "enabled": row["enabled"],
            "id": row["id"],
            "site_id": row["site_id"],
            "position": row["position"],
            "version": row["version"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def _columns(definition: RuleDefinition) -> dict[str, Any]:
    stored = definition.model_dump(mode="json", include={"conditions", "actions", "caps"})
    return {"name": definition.name, "enabled": definition.enabled, "definition": stored, "format": FORMAT}


async def _rule_for_edit(conn: AsyncConnection, caller: Identity, rule_id: str) -> RowMapping:
    """The caller's account's rule, with its site locked for the transaction (404 when either is not there)."""
    row = await repository.account_rule(conn, caller.account_id, rule_id)
    if row is None:
        raise no_such_rule()
    try:
        await SITES.check(conn, caller, row["site_id"], for_update=True)
    except NotFound:
        raise no_such_rule() from None
    again = await repository.account_rule(conn, caller.account_id, rule_id)  # as it is once the site is locked
    if again is None:
        raise no_such_rule()
    return again


async def list_rules(runtime: ServiceRuntime, caller: Identity, site_id: str) -> list[RuleOut]:
    async with runtime.db.reading() as conn:
        await SITES.check(conn, caller, site_id)
        return [rule_out(row) for row in await repository.site_rules(conn, site_id)]


async def create_rule(runtime: ServiceRuntime, editor: Identity, site_id: str, definition: RuleDefinition) -> RuleOut:
    """A new rule, last in its site's order."""
    now = utcnow()
    async with runtime.db.transaction() as conn:
        await SITES.check(conn, editor, site_id, for_update=True)
        count = await repository.count_site_rules(conn, site_id)
        if count >= MAX_RULES_PER_SITE:
            raise Conflict(f"A site may have at most {MAX_RULES_PER_SITE} rules.", code="too_many_rules")
        values = {
            "id": new_id(),
            "account_id": editor.account_id,
            "site_id": site_id,
            "position": count,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "updated_by": editor.user_id,
            **_columns(definition),
        }
        await repository.insert_rule(conn, values)
        row = await repository.account_rule(conn, editor.account_id, values["id"])
    assert row is not None
    return rule_out(row)


async def get_rule(runtime: ServiceRuntime, caller: Identity, rule_id: str) -> RuleOut:
    async with runtime.db.reading() as conn:
        row = await repository.account_rule(conn, caller.account_id, rule_id)
        if row is None or await SITES.owner(conn, row["site_id"]) != caller.account_id:
            raise no_such_rule()
    return rule_out(row)


def _check_version(row: RowMapping, expected: int | None) -> None:
    if expected is not None and expected != row["version"]:
        raise Conflict(
            f"The rule was changed meanwhile (it is at version {row['version']}).",
            code="version_conflict",
            details={"version": row["version"]},
        )


async def _save(conn: AsyncConnection, editor: Identity, row: RowMapping, values: dict[str, Any]) -> RuleOut:
    changes = {**values, "version": row["version"] + 1, "updated_at": utcnow(), "updated_by": editor.user_id}
    await repository.update_rule(conn, row["id"], changes)
    saved = await repository.account_rule(conn, editor.account_id, row["id"])
    assert saved is not None
    return rule_out(saved)


async def replace_rule(runtime: ServiceRuntime, editor: Identity, rule_id: str, body: RuleReplace) -> RuleOut:
    definition = RuleDefinition.model_validate(body.model_dump(exclude={"version"}))
    async with runtime.db.transaction() as conn:
        row = await _rule_for_edit(conn, editor, rule_id)
        _check_version(row, body.version)
        return await _save(conn, editor, row, _columns(definition))


def _patched(row: RowMapping, patch: RulePatch) -> RuleDefinition:
    """The rule's definition with the patch's fields, validated as a whole (422 with the fields)."""
    current = definition_of(row).model_dump(mode="json")
    changed = patch.model_dump(mode="json", include=set(EDITABLE) & patch.model_fields_set)
    try:
        return RuleDefinition.model_validate({**current, **changed})
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise InvalidInput("The rule as changed is not valid.", code="validation_error", details=fields) from None


async def patch_rule(runtime: ServiceRuntime, editor: Identity, rule_id: str, patch: RulePatch) -> RuleOut:
    async with runtime.db.transaction() as conn:
        row = await _rule_for_edit(conn, editor, rule_id)
        _check_version(row, patch.version)
        if not patch.model_fields_set & set(EDITABLE):
            return rule_out(row)  # nothing to change: no new version
        return await _save(conn, editor, row, _columns(_patched(row, patch)))


async def delete_rule(runtime: ServiceRuntime, editor: Identity, rule_id: str) -> str:
    """Delete the rule; the site's later rules move up one place. Returns the rule's site."""
    async with runtime.db.transaction() as conn:
        row = await _rule_for_edit(conn, editor, rule_id)
        await repository.delete_rule(conn, rule_id)
        await repository.set_positions(conn, await repository.site_rules(conn, row["site_id"]))
    site_id: str = row["site_id"]
    return site_id


async def move_rule(runtime: ServiceRuntime, editor: Identity, rule_id: str, position: int) -> list[RuleOut]:
    """Put the rule at `position` (0 first; past the end: last); returns the site's rules in their new order."""
    async with runtime.db.transaction() as conn:
        row = await _rule_for_edit(conn, editor, rule_id)
        ordered = [r for r in await repository.site_rules(conn, row["site_id"]) if r["id"] != rule_id]
        ordered.insert(min(position, len(ordered)), row)
        if [r["id"] for r in ordered] != [r["id"] for r in await repository.site_rules(conn, row["site_id"])]:
            await repository.set_positions(conn, ordered)
            await repository.update_rule(
                conn,
                rule_id,
                {"version": row["version"] + 1, "updated_at": utcnow(), "updated_by": editor.user_id},
            )
        return [rule_out(r) for r in await repository.site_rules(conn, row["site_id"])]
