"""An account's segments compiled (once per segment version) and a visitor's segment: the first, in order,
whose conditions hold; with the earliest time the answer could change while the visitor does nothing."""

from collections.abc import Iterable
from dataclasses import dataclass

from services.rules.engine.compiler import compile_condition
from services.rules.engine.leaves import Test
from services.rules.engine.state import EvalContext, VisitorState
from services.rules.segments.schemas import SegmentDefinition


@dataclass(frozen=True, slots=True)
class CompiledSegment:
    segment_id: str
    name: str
    version: int
    position: int
    test: Test


def compile_segment(definition: SegmentDefinition, segment_id: str, version: int, position: int) -> CompiledSegment:
    return CompiledSegment(segment_id, definition.name, version, position, compile_condition(definition.conditions))


@dataclass(frozen=True, slots=True)
class Assignment:
    segment: CompiledSegment | None
    next_check_at: float | None  # the earliest time the segment could change by time alone


class SegmentSet:
    """An account's segments in order."""

    def __init__(self, segments: Iterable[CompiledSegment]) -> None:
        self.segments = tuple(sorted(segments, key=lambda s: s.position))

    def classify(self, state: VisitorState, ctx: EvalContext) -> Assignment:
        """The first segment that matches. A segment before it could start matching, or it could stop: the
        soonest of those times is when to look again (the segments after it do not matter)."""
        soonest: float | None = None
        for segment in self.segments:
            matched, at = segment.test(state, ctx)
            if at is not None and (soonest is None or at < soonest):
                soonest = at
            if matched:
                return Assignment(segment, soonest)
        return Assignment(None, soonest)
