"""HTTP endpoints of the customer segments (SEG-1; `services/rules/segments/`), per account, reached through
the gateway. Operators read them; supervisors and admins edit and preview them. After an edit, the account's
live visitors are looked at again at once (their segment follows the edit)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.common.identity import Operator, RoleRequired
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey
from services.rules import preview as rules_preview
from services.rules.live import LIVE_IDLE, LiveRules
from services.rules.segments import book
from services.rules.segments import preview as segment_preview
from services.rules.segments.schemas import (
    MoveSegment,
    SegmentConditions,
    SegmentDefinition,
    SegmentList,
    SegmentOut,
    SegmentPreviewOut,
    SegmentReplace,
)

router = APIRouter(prefix="/api/v1", tags=["segments"])
Editor = Annotated[Identity, Depends(RoleRequired("supervisor", "admin"))]
Live = Annotated[LiveRules, Depends(rules_preview.live_rules)]


async def _look_again(live: LiveRules, account_id: str) -> None:
    """The account's segments read again by every replica (`books.py`), and every live visitor of the account
    evaluated again at the next tick (their segment may have changed)."""
    await live.books.edited_segments(account_id)
    if live.timers is None:
        return
    now = live.clock()
    visitors = await live.store.account_visitors(account_id, now - LIVE_IDLE)
    await live.timers.schedule_many(dict.fromkeys(visitors, now))


@router.get("/segments", response_model=SegmentList)
async def list_segments(operator: Operator, runtime: Runtime) -> SegmentList:
    """The account's segments in the order they are tested (the four defaults at first use)."""
    return SegmentList(segments=await book.list_segments(runtime, operator))


@router.post("/segments", response_model=SegmentOut, status_code=201)
async def create_segment(body: SegmentDefinition, editor: Editor, runtime: Runtime, live: Live) -> SegmentOut:
    """A new segment, last in the account's order."""
    made = await book.create_segment(runtime, editor, body)
    await _look_again(live, editor.account_id)
    return made


@router.post("/segments/preview", response_model=SegmentPreviewOut)
async def preview_segment(body: SegmentConditions, editor: Editor, live: Live) -> SegmentPreviewOut:
    """Which of the account's live visitors these conditions (saved or not) match now."""
    return await segment_preview.preview(live, editor, body)


@router.get("/segments/{segment_id}", response_model=SegmentOut)
async def get_segment(segment_id: PathKey, operator: Operator, runtime: Runtime) -> SegmentOut:
    return await book.get_segment(runtime, operator, segment_id)


@router.put("/segments/{segment_id}", response_model=SegmentOut)
async def replace_segment(
    segment_id: PathKey, body: SegmentReplace, editor: Editor, runtime: Runtime, live: Live
) -> SegmentOut:
    """A segment's whole new definition; its version goes up by one."""
    saved = await book.replace_segment(runtime, editor, segment_id, body)
    await _look_again(live, editor.account_id)
    return saved


@router.delete("/segments/{segment_id}", status_code=204, response_class=Response)
async def delete_segment(segment_id: PathKey, editor: Editor, runtime: Runtime, live: Live) -> Response:
    """Delete a segment: its visitors fall into the next segment they match."""
    await book.delete_segment(runtime, editor, segment_id)
    await _look_again(live, editor.account_id)
    return Response(status_code=204)


@router.post("/segments/{segment_id}/move", response_model=SegmentList)
async def move_segment(
    segment_id: PathKey, body: MoveSegment, editor: Editor, runtime: Runtime, live: Live
) -> SegmentList:
    """Put a segment at another place in the order; answers the account's segments in their new order."""
    moved = await book.move_segment(runtime, editor, segment_id, body.position)
    await _look_again(live, editor.account_id)
    return SegmentList(segments=moved)
