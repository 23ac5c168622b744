"""The condition tree of a rule, as stored and as the API takes it (validated JSON).

A node is `{"type": "and" | "or", "conditions": [...]}`, `{"type": "not", "condition": {...}}` or a leaf
`{"type": "<condition>", ...}`. `and`/`or`/`not` nest at most `MAX_DEPTH` levels; a rule has at most
`MAX_NODES` nodes. Every model refuses unknown fields. Text tests are case-insensitive unless
`case_sensitive`; a `regex` is an RE2 pattern (`regex.py`), checked when the rule is saved.
"""

from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.rules.engine.hours import WeeklyHours
from services.rules.engine.regex import BadPattern, compile_pattern

MAX_DEPTH = 8  # levels of and / or / not
MAX_CHILDREN = 50
MAX_NODES = 100
MAX_SECONDS = 366 * 86400.0
MAX_COUNT = 1_000_000

Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, description="Seconds.")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Letters, digits, `_` and `-` (1-64).")]
DurationOp = Literal["ge", "gt", "le", "lt"]
NumberOp = Literal["eq", "neq", "lt", "le", "gt", "ge"]
TextOp = Literal[
    "eq", "neq", "contains", "not_contains", "starts_with", "ends_with", "in", "not_in", "regex", "exists", "not_exists"
]
AttributeOp = Literal["eq", "neq", "lt", "le", "gt", "ge", "contains", "in", "not_in", "regex", "exists", "not_exists"]
ArrivalKind = Literal["direct", "search", "social", "campaign", "referral", "internal"]
Text = Annotated[str, Field(max_length=2048)]
Scalar = Text | int | float | bool
LIST_OPS = {"in", "not_in"}
NO_VALUE_OPS = {"exists", "not_exists"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text_value(op: str, value: Any, case_sensitive: bool) -> Any:
    """The `value` a text test with `op` needs: a list for in/not_in, nothing for exists, else a string."""
    if op in NO_VALUE_OPS:
        if value is not None:
            raise PydanticCustomError("value_not_expected", "{op} takes no value", {"op": op})
        return None
    if op in LIST_OPS:
        if not isinstance(value, list) or not 1 <= len(value) <= 100:
            raise PydanticCustomError("list_expected", "{op} needs a list of 1 to 100 values", {"op": op})
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_expected", "{op} needs a string value", {"op": op})
    if op == "regex":
        try:
            compile_pattern(value, case_sensitive)
        except BadPattern as exc:
            raise PydanticCustomError("regex_invalid", "{reason}", {"reason": str(exc)}) from None
    return value


class TextTest(Strict):
    """A test of a text the visitor has (a URL, a title, a country...). A missing text passes only the
    negative tests (`neq`, `not_contains`, `not_in`, `not_exists`)."""

    op: TextOp = "eq"
    case_sensitive: bool = False
    value: Text | list[Text] | None = Field(default=None, validate_default=True)

    @field_validator("value")
    @classmethod
    def fits_op(cls, value: Any, info: ValidationInfo) -> Any:
        if "op" not in info.data:
            return value  # the op itself is wrong: that error is reported
        return _text_value(info.data["op"], value, bool(info.data.get("case_sensitive")))


# --- time: what becomes true (or false) while the visitor just stays ---------------------------------------


class TimeOnSite(Strict):
    type: Literal["time_on_site"]
    op: DurationOp = "ge"
    seconds: Seconds


class TimeOnPage(Strict):
    type: Literal["time_on_page"]
    op: DurationOp = "ge"
    seconds: Seconds


class TimeInSection(Strict):
    """`scope: stay`: the current uninterrupted stay in the section (0 outside it); `visit`: all the time
    spent in it this visit."""

    type: Literal["time_in_section"]
    section: Name
    op: DurationOp = "ge"
    seconds: Seconds
    scope: Literal["stay", "visit"] = "stay"


class Idle(Strict):
    type: Literal["idle"]
    op: DurationOp = "ge"
    seconds: Seconds


class LastVisit(Strict):
    """Time since the visitor's previous visit; `if_never`: the answer for a first visit."""

    type: Literal["last_visit"]
    op: DurationOp = "ge"
    seconds: Seconds
    if_never: bool = False


class LastChat(Strict):
    """Time since the visitor's last chat; `if_never`: the answer for one who never chatted."""

    type: Literal["last_chat"]
    op: DurationOp = "ge"
    seconds: Seconds
    if_never: bool = False


class ExitIntent(Strict):
    """The pointer left the window (or a fast scroll up on touch) within the last `within_seconds`."""

    type: Literal["exit_intent"]
    within_seconds: Seconds = 10.0


class SiteEvent(Strict):
    """A site event (`Floorwalker('event', name)`) happened `op value` times within the last `within_seconds`."""

    type: Literal["site_event"]
    name: Name
    op: NumberOp = "ge"
    value: Count = 1
    within_seconds: Annotated[float, Field(gt=0, le=MAX_SECONDS)] = 3600.0


# --- counts, page, arrival, visitor -----------------------------------------------------------------------


class PagesViewed(Strict):
    type: Literal["pages_viewed"]
    op: NumberOp = "ge"
    value: Count
    scope: Literal["visit", "all"] = "visit"


class PagesInSection(Strict):
    type: Literal["pages_in_section"]
    section: Name
    op: NumberOp = "ge"
    value: Count


class VisitCount(Strict):
    type: Literal["visit_count"]
    op: NumberOp = "ge"
    value: Count


class Returning(Strict):
    """`value: true`: a returning visitor; false: a new one."""

    type: Literal["returning"]
    value: bool = True


class CurrentUrl(TextTest):
    type: Literal["current_url"]


class CurrentTitle(TextTest):
    type: Literal["current_title"]


class CurrentSection(TextTest):
    type: Literal["current_section"]


class Referrer(TextTest):
    type: Literal["referrer"]


class SearchKeywords(TextTest):
    """The words searched on the search engine the visitor came from."""

    type: Literal["search_keywords"]


class ArrivedVia(Strict):
    type: Literal["arrived_via"]
    kinds: list[ArrivalKind] = Field(min_length=1, max_length=6)


class Utm(TextTest):
    type: Literal["utm"]
    field: Literal["source", "medium", "campaign", "term", "content"]


class Country(TextTest):
    """Matches the ISO code (`BR`) or the name (`Brazil`)."""

    type: Literal["country"]


class Region(TextTest):
    type: Literal["region"]


class City(TextTest):
    type: Literal["city"]


class Device(TextTest):
    """`field: class` is desktop, mobile, tablet or other."""

    type: Literal["device"]
    field: Literal["class", "browser", "os"] = "class"


class Segment(TextTest):
    """The visitor's segment now (SEG-2), by its id or its name: `in` a list of them, or `not_exists` (none)."""

    type: Literal["segment"]


class Attribute(Strict):
    """A custom attribute the site set (`Floorwalker('attributes', {...})`). Numbers compare as numbers (a
    numeric text too); `contains` and `regex` test texts; a missing attribute passes only `neq`, `not_in`
    and `not_exists`."""

    type: Literal["attribute"]
    name: Annotated[str, Field(min_length=1, max_length=64)]
    op: AttributeOp = "eq"
    case_sensitive: bool = True
    value: Scalar | list[Scalar] | None = Field(default=None, validate_default=True)

    @field_validator("value")
    @classmethod
    def fits_op(cls, value: Any, info: ValidationInfo) -> Any:
        op = info.data.get("op")
        if op is None:
            return value
        if op in {"contains", "regex"} or op in NO_VALUE_OPS or op in LIST_OPS:
            if op in LIST_OPS and isinstance(value, list) and 1 <= len(value) <= 100:
                return value
            return _text_value(op, value, bool(info.data.get("case_sensitive")))
        if isinstance(value, list) or value is None:
            raise PydanticCustomError("scalar_expected", "{op} needs one value", {"op": op})
        if op in {"lt", "le", "gt", "ge"} and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise PydanticCustomError("number_expected", "{op} needs a number", {"op": op})
        return value


class ItemMatch(TextTest):
    """Which products count: a test of one of their fields."""

    field: Literal["sku", "name", "category"] = "name"


class ProductsViewed(Strict):
    """Products viewed this visit (those that pass `match`, if given): `op value` of them."""

    type: Literal["products_viewed"]
    op: NumberOp = "ge"
    value: Count = 1
    match: ItemMatch | None = None


class Searches(Strict):
    """Searches made on the site this visit (those whose words pass `match`, if given): `op value` of them."""

    type: Literal["searches"]
    op: NumberOp = "ge"
    value: Count = 1
    match: TextTest | None = None


# --- the world around the visitor: hours and operators ----------------------------------------------------


class BusinessHours(Strict):
    """A queue's business hours (`queue_id`: its hours as the context gives them) or hours given here;
    `open: false` matches outside them."""

    type: Literal["business_hours"]
    queue_id: Key | None = None
    hours: WeeklyHours | None = None
    open: bool = True

    @model_validator(mode="after")
    def one_source(self) -> "BusinessHours":
        if (self.queue_id is None) == (self.hours is None):
            raise PydanticCustomError("hours_source", "give either queue_id or hours")
        return self


class OperatorsOnline(Strict):
    """An operator is online: any of `operator_ids`, or anyone when the list is empty."""

    type: Literal["operators_online"]
    operator_ids: list[Key] = Field(default_factory=list, max_length=50)


class OperatorFree(Strict):
    """An online operator has room for another chat: in the queue `queue_id`, or anywhere when null."""

    type: Literal["operator_free"]
    queue_id: Key | None = None


# --- the tree ---------------------------------------------------------------------------------------------

# How deep the branch being validated is, and the input it was given: Pydantic may run a branch's
# wrap validator twice on one input (a tree validated at the top of a `TypeAdapter`), counted once.
_depth: ContextVar[tuple[int, int]] = ContextVar("condition_depth", default=(0, 0))


class _Branch(Strict):
    @model_validator(mode="wrap")
    @classmethod
    def not_too_deep(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        depth, current = _depth.get()
        if id(data) == current:
            return handler(data)
        if depth + 1 > MAX_DEPTH:
            raise PydanticCustomError(
                "tree_too_deep", "and / or / not may nest at most {limit} levels", {"limit": MAX_DEPTH}
            )
        token = _depth.set((depth + 1, id(data)))
        try:
            return handler(data)
        finally:
            _depth.reset(token)


# In the OpenAPI document a branch's children are "a condition" without the union spelled out again: a
# recursive union of 33 shapes is more than generators of examples (and readers) can take in.
CHILD_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string", "description": "`and`, `or`, `not` or a condition type."}},
    "description": "A condition node: any of the shapes the rule's `conditions` takes.",
}
Child = Annotated["Condition", WithJsonSchema(CHILD_SCHEMA)]


class And(_Branch):
    type: Literal["and"]
    conditions: list[Child] = Field(min_length=1, max_length=MAX_CHILDREN)


class Or(_Branch):
    type: Literal["or"]
    conditions: list[Child] = Field(min_length=1, max_length=MAX_CHILDREN)


class Not(_Branch):
    type: Literal["not"]
    condition: Child


Leaf = (
    TimeOnSite
    | TimeOnPage
    | TimeInSection
    | Idle
    | LastVisit
    | LastChat
    | ExitIntent
    | SiteEvent
    | PagesViewed
    | PagesInSection
    | VisitCount
    | Returning
    | CurrentUrl
    | CurrentTitle
    | CurrentSection
    | Referrer
    | SearchKeywords
    | ArrivedVia
    | Utm
    | Country
    | Region
    | City
    | Device
    | Segment
    | Attribute
    | ProductsViewed
    | Searches
    | BusinessHours
    | OperatorsOnline
    | OperatorFree
)
Condition = Annotated[And | Or | Not | Leaf, Field(discriminator="type")]
for _model in (And, Or, Not):
    _model.model_rebuild()


def children(node: Any) -> list[Any]:
    if isinstance(node, And | Or):
        return list(node.conditions)
    if isinstance(node, Not):
        return [node.condition]
    return []


def count_nodes(node: Any) -> int:
    stack, count = [node], 0
    while stack:
        item = stack.pop()
        count += 1
        stack.extend(children(item))
    return count
