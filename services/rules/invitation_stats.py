"""Per-rule and per-variant counts of what became of the rules' invitations (ENG-7): shown, accepted, closed,
expired (the gateway's `invitation.*` events) and the chats they started (chat's `conversation.started` of an
accepted invitation), per (account, rule, variant) in `rules_invitation_stats`.

A consumer's batch is tallied in memory and added in one statement (rows in key order, so that two replicas
adding to the same rows lock them in the same order); the caller's transaction records the events as processed
with it (`handle_batch_once`), so a redelivered event is counted once. An operator's call (no rule) is not
counted here.
"""

from collections.abc import Iterable

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.common.events import (
    ConversationStarted,
    InvitationAccepted,
    InvitationClosed,
    InvitationEvent,
    InvitationExpired,
    InvitationShown,
)
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules.api.schemas import RuleStats, VariantCounts
from services.rules.models import invitation_stats

COUNTS = ("shown", "accepted", "closed", "expired", "chats_started")
COUNTED_BY: dict[type[InvitationEvent], str] = {
    InvitationShown: "shown",
    InvitationAccepted: "accepted",
    InvitationClosed: "closed",
    InvitationExpired: "expired",
}
NO_VARIANT = ""  # the stored `variant` of an invitation without one
MAX_KEY = 36  # a rule id (and at most 32 for a variant key): longer ones are no rule's


class Tally:
    """One batch's counts, by (account, rule, variant), before they are added."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], dict[str, int]] = {}

    def add(self, account_id: str, rule_id: str | None, variant: str | None, what: str) -> None:
        if not rule_id or len(rule_id) > MAX_KEY or (variant is not None and len(variant) > 32):
            return
        key = (account_id, rule_id, variant or NO_VARIANT)
        row = self.counts.setdefault(key, dict.fromkeys(COUNTS, 0))
        row[what] += 1

    def invitation(self, account_id: str, event: InvitationEvent) -> None:
        self.add(account_id, event.rule_id, event.variant, COUNTED_BY[type(event)])

    def chat(self, account_id: str, started: ConversationStarted) -> None:
        if started.invitation_id:
            self.add(account_id, started.rule_id, started.variant, "chats_started")


async def add_counts(conn: AsyncConnection, tally: Tally) -> None:
    """Add a batch's counts in the caller's transaction (one statement)."""
    if not tally.counts:
        return
    now = utcnow()
    rows = [
        {"account_id": account_id, "rule_id": rule_id, "variant": variant, **counts, "updated_at": now}
        for (account_id, rule_id, variant), counts in sorted(tally.counts.items())
    ]
    stats = invitation_stats.c
    new = upsert_insert(conn, invitation_stats).values(rows)
    added = {name: stats[name] + new.excluded[name] for name in COUNTS}
    await conn.execute(
        new.on_conflict_do_update(
            index_elements=[stats.account_id, stats.rule_id, stats.variant],
            set_={**added, "updated_at": new.excluded.updated_at},
        )
    )


def _rate(accepted: int, shown: int) -> float | None:
    return round(accepted / shown, 4) if shown else None


def _variant(row: RowMapping) -> VariantCounts:
    counts = {name: int(row[name]) for name in COUNTS}
    return VariantCounts(
        variant=row["variant"] or None, **counts, acceptance_rate=_rate(counts["accepted"], counts["shown"])
    )


def _rule(rule_id: str, rows: Iterable[RowMapping]) -> RuleStats:
    variants = sorted((_variant(row) for row in rows), key=lambda v: (v.variant is not None, v.variant or ""))
    total = {name: sum(getattr(v, name) for v in variants) for name in COUNTS}
    return RuleStats(
        rule_id=rule_id, **total, acceptance_rate=_rate(total["accepted"], total["shown"]), variants=variants
    )


async def _rows(conn: AsyncConnection, account_id: str, rule_ids: list[str]) -> dict[str, list[RowMapping]]:
    stats = invitation_stats.c
    query = select(invitation_stats).where(stats.account_id == account_id, stats.rule_id.in_(rule_ids))
    found: dict[str, list[RowMapping]] = {rule_id: [] for rule_id in rule_ids}
    for row in (await conn.execute(query)).mappings():
        found[row["rule_id"]].append(row)
    return found


async def rules_stats(runtime: ServiceRuntime, caller: Identity, rule_ids: list[str]) -> list[RuleStats]:
    """The counts of each of these rules of the caller's account (one query), in this order."""
    if not rule_ids:
        return []
    async with runtime.db.reading() as conn:
        found = await _rows(conn, caller.account_id, rule_ids)
    return [_rule(rule_id, found[rule_id]) for rule_id in rule_ids]
