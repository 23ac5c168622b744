"""The rules editor's live views (ENG-7): which of a site's live visitors a rule (saved or not) matches now,
and why one visitor does or does not match a saved rule (the tree with each condition's value for them).

Read-only over what `LiveRules` (`live.py`) keeps: the visitors of its visitor store (`live_store.py`, shared
by the rules replicas in Redis, so any replica answers for all of them), each account's operator availability
and its clock. Nothing here fires, schedules or changes a visitor (no lock is taken: a visitor read while a
page view is applied is the state just before or just after it); a visitor idle past `LIVE_IDLE` is not live.
"""

import asyncio

from fastapi import Request

from services.common.errors import NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.rules import repository
from services.rules.api.schemas import CapsVerdict, Explained, PreviewOut, PreviewVisitor
from services.rules.engine import EvalContext, RuleDefinition, RuleHistory, check_caps, compile_rule
from services.rules.live import LIVE_IDLE, LiveRules, LiveVisitor
from services.rules.rulebook import definition_of, no_such_rule
from services.rules.sites import SITES

MAX_LISTED = 200  # visitors listed in a preview (the counts are of all of them)
READ_AT_ONCE = 100  # visitors read from the store together


def live_rules(request: Request) -> LiveRules:
    """The app's `LiveRules` (a FastAPI dependency)."""
    live: LiveRules = request.app.state.live_rules
    return live


def _is_live(visitor: LiveVisitor | None, account_id: str, site_id: str, now: float) -> bool:
    if visitor is None or visitor.state.account_id != account_id or visitor.state.site_id != site_id:
        return False
    return (visitor.state.last_activity_at or now) + LIVE_IDLE >= now


async def site_visitors(live: LiveRules, account_id: str, site_id: str, now: float) -> list[LiveVisitor]:
    """The site's live visitors as the visitor store has them now."""
    ids = await live.store.account_visitors(account_id, now - LIVE_IDLE)
    found: list[LiveVisitor] = []
    for start in range(0, len(ids), READ_AT_ONCE):
        batch = await asyncio.gather(*(live.store.get(v) for v in ids[start : start + READ_AT_ONCE]))
        found.extend(v for v in batch if v is not None and _is_live(v, account_id, site_id, now))
    return found


async def context(live: LiveRules, account_id: str, now: float) -> EvalContext:
    """The world as the live rules see it for the account now (operators online and free)."""
    available = await live.operators(account_id)
    return EvalContext(
        now=now,
        operators_online=available.online,
        free_operators=len(available.free),
        free_in_queue=available.free_in_queue,
    )


async def preview(
    runtime: ServiceRuntime, live: LiveRules, caller: Identity, site_id: str, definition: RuleDefinition
) -> PreviewOut:
    """The site's live visitors and whether `definition` matches each now (enabled or not: a preview of the
    conditions). Matching visitors first, then the most recently active; at most `MAX_LISTED` listed."""
    async with runtime.db.reading() as conn:
        await SITES.check(conn, caller, site_id)
    now = live.clock()
    visitors = await site_visitors(live, caller.account_id, site_id, now)
    rule = compile_rule(definition, site_id=site_id)
    ctx = await context(live, caller.account_id, now)
    visitors.sort(key=lambda v: -(v.state.last_activity_at or 0.0))
    rows = [
        PreviewVisitor(
            visitor_id=v.state.visitor_id,
            current_url=v.state.current_url,
            current_title=v.state.current_title,
            matched=rule.matches(v.state, ctx),
        )
        for v in visitors
    ]
    rows.sort(key=lambda row: not row.matched)  # stable: most recent first within each
    return PreviewOut(live=len(rows), matching=sum(r.matched for r in rows), visitors=rows[:MAX_LISTED])


def no_such_visitor() -> NotFound:
    return NotFound("The visitor is not live on the rule's site.", code="visitor_not_live")


async def explain(
    runtime: ServiceRuntime, live: LiveRules, caller: Identity, rule_id: str, visitor_id: str
) -> Explained:
    """The rule's tree for the live visitor, each condition with its value and result, and its caps' answer."""
    async with runtime.db.reading() as conn:
        row = await repository.account_rule(conn, caller.account_id, rule_id)
        if row is None or await SITES.owner(conn, row["site_id"]) != caller.account_id:
            raise no_such_rule()
    now = live.clock()
    visitor = await live.store.get(visitor_id)
    if visitor is None or not _is_live(visitor, caller.account_id, row["site_id"], now):
        raise no_such_visitor()
    state, history = visitor.state, visitor.history
    definition = definition_of(row)
    rule = compile_rule(definition, row["id"], row["version"], row["site_id"], row["position"])
    tree = rule.explain(state, await context(live, caller.account_id, now))
    caps = check_caps(definition.caps, history.get(rule_id, RuleHistory()), state, now)
    return Explained(
        rule_id=rule_id,
        version=row["version"],
        visitor_id=visitor_id,
        enabled=definition.enabled,
        matched=tree.matched,
        caps=CapsVerdict(allowed=caps.allowed, reason=caps.reason),
        tree=tree.to_dict(),
    )
