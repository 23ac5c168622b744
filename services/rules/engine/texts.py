"""Text and value tests compiled once into plain functions (`TextTest` -> `str | None -> bool`)."""

import operator
from collections.abc import Callable
from typing import Any

from services.rules.engine.conditions import NO_VALUE_OPS, TextTest
from services.rules.engine.regex import compile_pattern

TextCheck = Callable[[str | None], bool]
NEGATIVE_OPS = frozenset({"neq", "not_contains", "not_in", "not_exists"})


def text_check(test: TextTest) -> TextCheck:
    """The test as a function of the visitor's text (None: they have none)."""
    op, value = test.op, test.value
    if op in NO_VALUE_OPS:
        return (lambda v: bool(v)) if op == "exists" else (lambda v: not v)
    if op == "regex":
        pattern = compile_pattern(str(value), test.case_sensitive)
        return lambda v: v is not None and pattern.search(v) is not None
    fold: Callable[[str], str] = (lambda v: v) if test.case_sensitive else str.casefold
    if op in ("in", "not_in"):
        wanted = frozenset(fold(str(item)) for item in value or [])
        if op == "in":
            return lambda v: v is not None and fold(v) in wanted
        return lambda v: v is None or fold(v) not in wanted
    expected = fold(str(value))
    checks: dict[str, TextCheck] = {
        "eq": lambda v: v is not None and fold(v) == expected,
        "neq": lambda v: v is None or fold(v) != expected,
        "contains": lambda v: v is not None and expected in fold(v),
        "not_contains": lambda v: v is None or expected not in fold(v),
        "starts_with": lambda v: v is not None and fold(v).startswith(expected),
        "ends_with": lambda v: v is not None and fold(v).endswith(expected),
    }
    return checks[op]


def either_check(test: TextTest) -> Callable[[str | None, str | None], bool]:
    """A test of a thing known by two texts (a country's code and name): a positive test passes when either
    does, a negative one when both do."""
    check = text_check(test)
    if test.op in NEGATIVE_OPS:
        return lambda a, b: check(a) and check(b)
    return lambda a, b: check(a) or check(b)


def _number(value: Any) -> float | None:
    """A number of an attribute: numbers as they are, numeric texts read; booleans and the rest are not."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def same_value(observed: Any, expected: Any, case_sensitive: bool) -> bool:
    """Attribute equality: booleans only equal booleans, numbers compare as numbers (a numeric text too),
    texts by their case unless `case_sensitive` is false."""
    if observed is None:
        return False
    if isinstance(expected, bool) or isinstance(observed, bool):
        return isinstance(expected, bool) and isinstance(observed, bool) and observed is expected
    if isinstance(expected, int | float):
        number = _number(observed)
        return number is not None and number == float(expected)
    if isinstance(observed, int | float):
        number = _number(expected)
        return number is not None and number == float(observed)
    if case_sensitive:
        return str(observed) == str(expected)
    return str(observed).casefold() == str(expected).casefold()


NUMBER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def attribute_check(op: str, value: Any, case_sensitive: bool) -> Callable[[Any], bool]:
    """The test of an attribute's value (the attribute missing: None)."""
    if op == "exists":
        return lambda v: v is not None
    if op == "not_exists":
        return lambda v: v is None
    if op in ("eq", "neq"):
        if op == "eq":
            return lambda v: same_value(v, value, case_sensitive)
        return lambda v: not same_value(v, value, case_sensitive)
    if op in ("in", "not_in"):
        items = list(value or [])
        if op == "in":
            return lambda v: any(same_value(v, item, case_sensitive) for item in items)
        return lambda v: not any(same_value(v, item, case_sensitive) for item in items)
    if op == "contains":
        expected = str(value) if case_sensitive else str(value).casefold()
        if case_sensitive:
            return lambda v: isinstance(v, str) and expected in v
        return lambda v: isinstance(v, str) and expected in v.casefold()
    if op == "regex":
        pattern = compile_pattern(str(value), case_sensitive)
        return lambda v: v is not None and not isinstance(v, bool) and pattern.search(str(v)) is not None
    compare, bound = NUMBER_OPS[op], float(value)

    def numeric(v: Any) -> bool:
        number = _number(v)
        return number is not None and compare(number, bound)

    return numeric
