"""Each live visitor's segment, assigned at every evaluation of the live rules (a page view, a timer, a change
of operators) with the account's segments as the replica caches them (`books.py`: made with the defaults at
first use, compiled once per version, read again after an edit); when the visitor's segment changes, their live state carries the new one (the rules' `segment`
condition sees it at once) and `visitor.segment_changed` goes out through the rules' outbox in its own
transaction (durable; tracking shows it in the live list). The caller holds the visitor's lock."""

from dataclasses import replace
from datetime import UTC, datetime

from services.common.events import VisitorSegmentChanged
from services.common.outbox import add_event
from services.common.service import ServiceRuntime
from services.rules.engine.state import EvalContext, VisitorState
from services.rules.models import outbox
from services.rules.segments.classify import Assignment, SegmentSet


async def assign(
    runtime: ServiceRuntime, segments: SegmentSet, state: VisitorState, ctx: EvalContext
) -> tuple[VisitorState, Assignment]:
    """The visitor's state with their segment now (the same object when unchanged), and the assignment; a
    change is published (committed) before this returns."""
    assignment = segments.classify(state, ctx)
    segment = assignment.segment
    segment_id, name = (segment.segment_id, segment.name) if segment else (None, None)
    if (segment_id, name) == (state.segment, state.segment_name):
        return state, assignment
    changed = VisitorSegmentChanged(
        site_id=state.site_id,
        visitor_id=state.visitor_id,
        segment_id=segment_id,
        segment_name=name,
        at=datetime.fromtimestamp(ctx.now, UTC),
    )
    async with runtime.db.transaction() as conn:
        await add_event(conn, outbox, changed, state.account_id)
    runtime.after_commit()
    return replace(state, segment=segment_id, segment_name=name), assignment
