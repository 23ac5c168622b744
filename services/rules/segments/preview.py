"""The segment editor's live preview: which of the account's live visitors a segment's conditions (saved or
not) match now, each with the segment they are in now. Read-only over the live rules' visitor store, as the
rules' preview (`services/rules/preview.py`)."""

import asyncio

from services.common.tokens import Identity
from services.rules.engine.compiler import compile_condition
from services.rules.live import LIVE_IDLE, LiveRules, LiveVisitor
from services.rules.preview import MAX_LISTED, READ_AT_ONCE, context
from services.rules.segments.schemas import SegmentConditions, SegmentPreviewOut, SegmentPreviewVisitor


async def account_visitors(live: LiveRules, account_id: str, now: float) -> list[LiveVisitor]:
    """The account's live visitors as the visitor store has them now."""
    ids = await live.store.account_visitors(account_id, now - LIVE_IDLE)
    found: list[LiveVisitor] = []
    for start in range(0, len(ids), READ_AT_ONCE):
        batch = await asyncio.gather(*(live.store.get(v) for v in ids[start : start + READ_AT_ONCE]))
        found.extend(
            v
            for v in batch
            if v is not None
            and v.state.account_id == account_id
            and (v.state.last_activity_at or now) + LIVE_IDLE >= now
        )
    return found


async def preview(live: LiveRules, caller: Identity, body: SegmentConditions) -> SegmentPreviewOut:
    now = live.clock()
    visitors = await account_visitors(live, caller.account_id, now)
    test = compile_condition(body.conditions)
    ctx = await context(live, caller.account_id, now)
    visitors.sort(key=lambda v: -(v.state.last_activity_at or 0.0))
    rows = [
        SegmentPreviewVisitor(
            visitor_id=v.state.visitor_id,
            site_id=v.state.site_id,
            current_url=v.state.current_url,
            current_title=v.state.current_title,
            segment_id=v.state.segment,
            segment_name=v.state.segment_name,
            matched=test(v.state, ctx)[0],
        )
        for v in visitors
    ]
    rows.sort(key=lambda row: not row.matched)
    return SegmentPreviewOut(live=len(rows), matching=sum(r.matched for r in rows), visitors=rows[:MAX_LISTED])
