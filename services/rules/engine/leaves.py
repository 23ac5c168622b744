"""Each condition type compiled into a `Test`: `(state, context) -> (value, changes_at)`.

`changes_at` is the earliest time (epoch seconds) the value could flip while the visitor does nothing and
the world stays as it is (time passing alone), or None when it cannot: for a false value, when it could
become true; for a true one, when it could become false. A leaf answers early rather than late: a
re-evaluation at a time that changed nothing is harmless, a late one fires a rule late.

`observe` gives the visitor's value of the condition, for the explanation ("time on page: 42 s").
"""

from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from services.rules.engine import conditions as c
from services.rules.engine.hours import Schedule
from services.rules.engine.state import EvalContext, VisitorState
from services.rules.engine.texts import NUMBER_OPS, attribute_check, either_check, text_check

Result = tuple[bool, float | None]
Test = Callable[[VisitorState, EvalContext], Result]
Observe = Callable[[VisitorState, EvalContext], Any]
# A duration as a line over time: (a, growing) means `a + now` when growing, else the constant `a`; None
# when there is none (no visit, never chatted...).
Linear = Callable[[VisitorState], tuple[float, bool] | None]
EPS = 0.001  # past a strict bound: `> x` is first true just after x
NEVER: Result = (False, None)
ALWAYS: Result = (True, None)


@dataclass(frozen=True, slots=True)
class Leaf:
    test: Test
    observe: Observe
    timed: bool  # can change with time alone (tested after the static conditions)


def _duration(op: str, bound: float, linear: Linear, if_missing: bool) -> Test:
    """`duration op bound` for a duration that grows with time (or stays); see `Linear`."""
    missing: Result = (if_missing, None)
    compare = NUMBER_OPS[op]

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        line = linear(state)
        if line is None:
            return missing
        a, growing = line
        if not growing:
            return (compare(a, bound), None)
        cross, now = bound - a, ctx.now  # the duration equals `bound` at `cross`
        if op == "ge":
            return ALWAYS if now >= cross else (False, cross)
        if op == "gt":
            return ALWAYS if now > cross else (False, cross + EPS)
        if op == "le":
            return (True, cross + EPS) if now <= cross else NEVER
        return (True, cross) if now < cross else NEVER  # lt

    return test


def _observe_duration(linear: Linear) -> Observe:
    def observe(state: VisitorState, ctx: EvalContext) -> Any:
        line = linear(state)
        if line is None:
            return None
        a, growing = line
        return round(a + ctx.now, 3) if growing else round(a, 3)

    return observe


def _since(attribute: str) -> Linear:
    def linear(state: VisitorState) -> tuple[float, bool] | None:
        start = getattr(state, attribute)
        return None if start is None else (-start, True)

    return linear


def _lookup(mapping: Mapping[str, Any], name: str, folded: str) -> Any:
    """A section's entry, by its exact name or else by its name in any case."""
    if name in mapping:
        return mapping[name]
    return next((v for k, v in mapping.items() if k.casefold() == folded), None)


def _in_section(state: VisitorState, folded: str) -> bool:
    return state.section is not None and state.section.casefold() == folded


def time_in_section(node: c.TimeInSection) -> Leaf:
    name, folded = node.section, node.section.casefold()

    def stay(state: VisitorState) -> tuple[float, bool] | None:
        if not _in_section(state, folded) or state.section_entered_at is None:
            return (0.0, False)
        return (-state.section_entered_at, True)

    def visit(state: VisitorState) -> tuple[float, bool] | None:
        spent = float(_lookup(state.section_seconds, name, folded) or 0.0)
        if _in_section(state, folded) and state.page_started_at is not None:
            return (spent - state.page_started_at, True)
        return (spent, False)

    linear = stay if node.scope == "stay" else visit
    return Leaf(_duration(node.op, node.seconds, linear, False), _observe_duration(linear), True)


def since_leaf(attribute: str) -> Callable[[Any], Leaf]:
    """A duration since a time of the visitor's (`attribute`); without that time the answer is the node's
    `if_never` (false where it has none)."""

    def build(node: Any) -> Leaf:
        linear = _since(attribute)
        if_never = bool(getattr(node, "if_never", False))
        return Leaf(_duration(node.op, node.seconds, linear, if_never), _observe_duration(linear), True)

    return build


def exit_intent(node: c.ExitIntent) -> Leaf:
    window = node.within_seconds

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        at = state.exit_intent_at
        if at is None or ctx.now - at > window:
            return NEVER
        return (True, at + window + EPS)

    def observe(state: VisitorState, ctx: EvalContext) -> Any:
        at = state.exit_intent_at
        return None if at is None else round(ctx.now - at, 3)

    return Leaf(test, observe, True)


def site_event(node: c.SiteEvent) -> Leaf:
    """How many times the event happened in the window; the count only drops as time passes (the oldest
    ages out), which can make `lt/le/eq/neq` true or `ge/gt/eq/neq` false."""
    name, window, compare, bound = node.name, node.within_seconds, NUMBER_OPS[node.op], float(node.value)
    drop_helps_true = node.op in ("lt", "le", "eq", "neq")
    drop_helps_false = node.op in ("ge", "gt", "eq", "neq")

    def window_of(state: VisitorState, now: float) -> tuple[int, float | None]:
        times = state.events.get(name)
        if not times:
            return 0, None
        first = bisect_left(times, now - window)
        last = bisect_left(times, now + EPS, lo=first) if times[-1] > now else len(times)
        count = last - first
        return count, (times[first] + window + EPS if count else None)

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        count, ages_out = window_of(state, ctx.now)
        value = compare(count, bound)
        if value:
            return (True, ages_out if drop_helps_false else None)
        return (False, ages_out if drop_helps_true else None)

    def observe(state: VisitorState, ctx: EvalContext) -> Any:
        return window_of(state, ctx.now)[0]

    return Leaf(test, observe, True)


def business_hours(node: c.BusinessHours) -> Leaf:
    inline = Schedule(node.hours) if node.hours is not None else None
    queue, want_open = node.queue_id, node.open

    def schedule_of(ctx: EvalContext) -> Schedule | None:
        return inline if inline is not None else ctx.queue_hours.get(queue or "")

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        schedule = schedule_of(ctx)
        if schedule is None:
            return NEVER
        return (schedule.is_open(ctx.now) == want_open, schedule.next_change(ctx.now))

    def observe(state: VisitorState, ctx: EvalContext) -> Any:
        schedule = schedule_of(ctx)
        return None if schedule is None else ("open" if schedule.is_open(ctx.now) else "closed")

    return Leaf(test, observe, True)


# --- static leaves: only a new event (a page view, an operator coming online) changes them ---------------


def _static(value_of: Callable[[VisitorState, EvalContext], Any], check: Callable[[Any], bool]) -> Leaf:
    """A leaf over the context (or anything needing both)."""

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        return ALWAYS if check(value_of(state, ctx)) else NEVER

    return Leaf(test, value_of, False)


def _of_state(get: Callable[[VisitorState], Any], check: Callable[[Any], bool]) -> Leaf:
    """A leaf over the visitor's state alone: one call of `get` (an `attrgetter` where it can) and `check`."""

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        return ALWAYS if check(get(state)) else NEVER

    return Leaf(test, lambda state, ctx: get(state), False)


def _number(node: Any, get: Callable[[VisitorState], float]) -> Leaf:
    compare, bound = NUMBER_OPS[node.op], float(node.value)

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        return ALWAYS if compare(get(state), bound) else NEVER

    return Leaf(test, lambda state, ctx: get(state), False)


def _text(name: str) -> Callable[[Any], Leaf]:
    def build(node: Any) -> Leaf:
        return _of_state(attrgetter(name), text_check(node))

    return build


def pages_viewed(node: c.PagesViewed) -> Leaf:
    return _number(node, attrgetter("pages_viewed" if node.scope == "visit" else "pages_viewed_total"))


def pages_in_section(node: c.PagesInSection) -> Leaf:
    name, folded = node.section, node.section.casefold()
    return _number(node, lambda state: int(_lookup(state.section_pages, name, folded) or 0))


def returning(node: c.Returning) -> Leaf:
    wanted = node.value
    return _of_state(attrgetter("returning"), lambda v: v is wanted)


def country(node: c.Country) -> Leaf:
    check = either_check(node)

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        return ALWAYS if check(state.country_code, state.country) else NEVER

    def observe(state: VisitorState, ctx: EvalContext) -> Any:
        return {"code": state.country_code, "name": state.country}

    return Leaf(test, observe, False)


def segment(node: c.Segment) -> Leaf:
    """The visitor's segment now, by its id or its name (as `country` by code or name)."""
    check = either_check(node)

    def test(state: VisitorState, ctx: EvalContext) -> Result:
        return ALWAYS if check(state.segment, state.segment_name) else NEVER

    def observe(state: VisitorState, ctx: EvalContext) -> Any:
        return {"id": state.segment, "name": state.segment_name}

    return Leaf(test, observe, False)


def utm(node: c.Utm) -> Leaf:
    field = node.field
    return _of_state(lambda state: state.utm.get(field), text_check(node))


def device(node: c.Device) -> Leaf:
    return _of_state(
        attrgetter({"class": "device_class", "browser": "browser", "os": "os"}[node.field]), text_check(node)
    )


def attribute(node: c.Attribute) -> Leaf:
    name = node.name
    return _of_state(
        lambda state: state.attributes.get(name), attribute_check(node.op, node.value, node.case_sensitive)
    )


def products_viewed(node: c.ProductsViewed) -> Leaf:
    match = node.match
    if match is None:
        return _number(node, lambda state: len(state.products))
    check, field = text_check(match), attrgetter(match.field)
    return _number(node, lambda state: sum(1 for p in state.products if check(field(p))))


def searches(node: c.Searches) -> Leaf:
    match = node.match
    if match is None:
        return _number(node, lambda state: len(state.searches))
    check = text_check(match)
    return _number(node, lambda state: sum(1 for s in state.searches if check(s.query)))


def arrived_via(node: c.ArrivedVia) -> Leaf:
    kinds = frozenset(node.kinds)
    return _of_state(attrgetter("arrived_via"), kinds.__contains__)


def operators_online(node: c.OperatorsOnline) -> Leaf:
    wanted = frozenset(node.operator_ids)
    if not wanted:
        return _static(lambda state, ctx: len(ctx.operators_online), lambda n: n > 0)
    return _static(lambda state, ctx: sorted(wanted & ctx.operators_online), bool)


def operator_free(node: c.OperatorFree) -> Leaf:
    queue = node.queue_id
    if queue is None:
        return _static(lambda state, ctx: ctx.free_operators, lambda n: n > 0)
    return _static(lambda state, ctx: ctx.free_in_queue.get(queue, 0), lambda n: n > 0)


BUILDERS: dict[str, Callable[[Any], Leaf]] = {
    "time_on_site": since_leaf("visit_started_at"),
    "time_on_page": since_leaf("page_started_at"),
    "time_in_section": time_in_section,
    "idle": since_leaf("last_activity_at"),
    "last_visit": since_leaf("previous_visit_at"),
    "last_chat": since_leaf("last_chat_at"),
    "exit_intent": exit_intent,
    "site_event": site_event,
    "business_hours": business_hours,
    "pages_viewed": pages_viewed,
    "pages_in_section": pages_in_section,
    "visit_count": lambda node: _number(node, attrgetter("visit_count")),
    "returning": returning,
    "current_url": _text("current_url"),
    "current_title": _text("current_title"),
    "current_section": _text("section"),
    "referrer": _text("referrer"),
    "search_keywords": _text("search_keywords"),
    "arrived_via": arrived_via,
    "utm": utm,
    "country": country,
    "region": _text("region"),
    "city": _text("city"),
    "device": device,
    "segment": segment,
    "attribute": attribute,
    "products_viewed": products_viewed,
    "searches": searches,
    "operators_online": operators_online,
    "operator_free": operator_free,
}


def build_leaf(node: Any) -> Leaf:
    return BUILDERS[node.type](node)
