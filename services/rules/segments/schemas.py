"""A segment's JSON and the segments API's bodies (docs/api.md, Segments)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from services.common.validation import MAX_INT
from services.rules.engine.conditions import MAX_NODES, Condition, Name, children, count_nodes

MAX_SEGMENTS_PER_ACCOUNT = 50
Description = Annotated[str, Field(max_length=500)]


def _has_segment_leaf(node: Any) -> bool:
    return getattr(node, "type", None) == "segment" or any(_has_segment_leaf(child) for child in children(node))


def check_tree(conditions: Any) -> None:
    """A segment's tree: at most `MAX_NODES` nodes, and no `segment` condition (a segment by segments)."""
    if count_nodes(conditions) > MAX_NODES:
        raise PydanticCustomError(
            "tree_too_large", "a segment may have at most {limit} conditions", {"limit": MAX_NODES}
        )
    if _has_segment_leaf(conditions):
        raise PydanticCustomError("segment_in_segment", "a segment cannot be defined by the segment condition")


class SegmentDefinition(BaseModel):
    """A segment as supervisors write it: who is in it (`conditions`, the rules' condition tree, without the
    `segment` condition itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name
    description: Description = ""
    conditions: Condition

    @field_validator("conditions")
    @classmethod
    def fits(cls, conditions: Condition) -> Condition:
        check_tree(conditions)
        return conditions


class SegmentReplace(SegmentDefinition):
    """A segment's new definition. With `version`, only if the segment is still at that version (else 409)."""

    version: Annotated[int, Field(ge=1, le=MAX_INT)] | SkipJsonSchema[None] = None


class SegmentConditions(BaseModel):
    """What a preview needs of a segment: its conditions."""

    model_config = ConfigDict(extra="forbid")
    conditions: Condition

    @field_validator("conditions")
    @classmethod
    def fits(cls, conditions: Condition) -> Condition:
        check_tree(conditions)
        return conditions


class MoveSegment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int = Field(ge=0, le=MAX_SEGMENTS_PER_ACCOUNT, description="0 is first; past the end is last.")


class SegmentOut(SegmentDefinition):
    """A stored segment: its definition, its place in the account's order, its version."""

    id: str
    position: int = Field(description="0 is tested first: a visitor is in the first segment they match.")
    version: int = Field(description="1 when created, one more at every edit.")
    created_at: datetime
    updated_at: datetime


class SegmentList(BaseModel):
    segments: list[SegmentOut] = Field(description="In the order they are tested (first match wins).")


class SegmentPreviewVisitor(BaseModel):
    visitor_id: str
    site_id: str
    current_url: str | None
    current_title: str | None
    segment_id: str | None = Field(description="The segment the visitor is in now.")
    segment_name: str | None
    matched: bool = Field(description="Whether the previewed conditions hold for this visitor now.")


class SegmentPreviewOut(BaseModel):
    live: int = Field(description="The account's live visitors (seen within the last 30 minutes).")
    matching: int = Field(description="How many of them the conditions match now.")
    visitors: list[SegmentPreviewVisitor] = Field(description="Matching first, then the most recent; at most 200.")
