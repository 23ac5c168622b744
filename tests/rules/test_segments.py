"""Segments in the engine (SEG-1, SEG-2): the four defaults classify visitors by their orders (custom
attributes) and behaviour, first match wins, a time-based segment says when to look again, a segment cannot
be defined by segments, the rules' `segment` condition takes a segment's id or name, and every simulated
visitor of the demo traffic falls into one of the defaults."""

from typing import Any

import pytest
from pydantic import ValidationError

from services.gateway.demo.traffic import PERSONAS, SIMULATED
from services.rules.engine.state import VisitorState
from services.rules.segments.classify import SegmentSet, compile_segment
from services.rules.segments.defaults import default_segments
from services.rules.segments.schemas import SegmentConditions, SegmentDefinition
from tests.rules.engine_helpers import MINUTE, NOW, context, matches, visitor


def defaults() -> SegmentSet:
    return SegmentSet(
        compile_segment(d, d.name.lower().replace(" ", "-"), 1, i) for i, d in enumerate(default_segments())
    )


def orders(count: int, value: float) -> dict[str, Any]:
    return {"orders_count": count, "orders_value": value}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"attributes": orders(7, 18_450.0)}, "most-valuable"),
        ({"attributes": orders(1, 12_000.0)}, "most-valuable"),  # by value alone
        ({"attributes": orders(2, 3_100.0)}, "most-potential"),
        ({"returning": True, "visit_count": 3, "products": ("a", "b", "c")}, "most-potential"),
        ({"attributes": orders(1, 899.0)}, "intermediate"),
        ({"returning": True, "visit_count": 2}, "intermediate"),
        ({"pages_viewed": 5}, "intermediate"),
        ({"pages_viewed": 2}, "low-potential"),
        ({"attributes": {"orders_count": "0"}}, "low-potential"),  # a numeric text counts as a number
        ({}, "low-potential"),
    ],
)
def test_the_defaults_classify_visitors_by_orders_and_behaviour(fields: dict[str, Any], expected: str) -> None:
    segment = defaults().classify(visitor(**fields), context()).segment
    assert segment is not None and segment.segment_id == expected


def test_the_first_matching_segment_wins_and_a_visitor_may_be_in_none() -> None:
    wide = SegmentDefinition.model_validate({"name": "Anyone", "conditions": {"type": "pages_viewed", "value": 0}})
    narrow = SegmentDefinition.model_validate({"name": "Busy", "conditions": {"type": "pages_viewed", "value": 3}})
    state = visitor(pages_viewed=4)
    ordered = SegmentSet([compile_segment(narrow, "busy", 1, 0), compile_segment(wide, "anyone", 1, 1)])
    assert ordered.classify(state, context()).segment.segment_id == "busy"  # type: ignore[union-attr]
    reordered = SegmentSet([compile_segment(narrow, "busy", 1, 1), compile_segment(wide, "anyone", 1, 0)])
    assert reordered.classify(state, context()).segment.segment_id == "anyone"  # type: ignore[union-attr]
    assert SegmentSet([compile_segment(narrow, "busy", 1, 0)]).classify(visitor(), context()).segment is None


def test_a_segment_that_time_alone_fills_says_when_to_look_again() -> None:
    lingering = SegmentDefinition.model_validate(
        {"name": "Lingering", "conditions": {"type": "time_on_site", "seconds": 5 * MINUTE}}
    )
    segments = SegmentSet([compile_segment(lingering, "lingering", 1, 0)])
    state = visitor(visit_started_at=NOW - MINUTE)
    found = segments.classify(state, context())
    assert found.segment is None and found.next_check_at == NOW + 4 * MINUTE
    assert segments.classify(state, context(now=NOW + 4 * MINUTE)).segment is not None


def test_a_segment_cannot_be_defined_by_segments_and_bad_trees_say_where() -> None:
    with pytest.raises(ValidationError) as caught:
        SegmentDefinition.model_validate(
            {"name": "Loop", "conditions": {"type": "not", "condition": {"type": "segment", "value": "x"}}}
        )
    assert caught.value.errors()[0]["type"] == "segment_in_segment"
    with pytest.raises(ValidationError) as bad:
        SegmentConditions.model_validate({"conditions": {"type": "pages_viewed", "op": "about", "value": 1}})
    assert bad.value.errors()[0]["loc"][:2] == ("conditions", "pages_viewed")


def test_the_rules_segment_condition_takes_the_segments_id_or_name() -> None:
    state = VisitorState(visitor_id="v", site_id="s", segment="seg-1", segment_name="Most valuable")
    assert matches({"type": "segment", "op": "in", "value": ["seg-9", "seg-1"]}, state)
    assert matches({"type": "segment", "value": "most valuable"}, state)
    assert not matches({"type": "segment", "op": "neq", "value": "Most valuable"}, state)
    assert matches({"type": "segment", "op": "not_exists"}, visitor())


def test_every_demo_visitor_falls_into_a_default_segment_and_the_ordering_customers_fill_the_top_ones() -> None:
    found = {
        (p.orders_count, p.orders_value): defaults()
        .classify(
            visitor(pages_viewed=3, attributes={SIMULATED: True, **orders(p.orders_count, p.orders_value)}), context()
        )
        .segment
        for p in PERSONAS
    }
    assert all(segment is not None for segment in found.values())
    names = {segment.segment_id for segment in found.values() if segment}
    assert {"most-valuable", "most-potential", "intermediate", "low-potential"} <= names
