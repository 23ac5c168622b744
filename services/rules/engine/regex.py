"""Patterns of rules, run by RE2: linear time in the text whatever the pattern, so no pattern a supervisor
writes can stall an evaluation. A pattern that RE2 cannot compile (look-arounds, back references, a
repetition past 1,000, a program past `MAX_PROGRAM_BYTES`) or longer than `MAX_PATTERN_LENGTH` is refused."""

from functools import lru_cache
from typing import Protocol

import re2

MAX_PATTERN_LENGTH = 256
MAX_PROGRAM_BYTES = 1 << 20


class Pattern(Protocol):
    def search(self, text: str, /) -> object | None: ...


class BadPattern(ValueError):
    """Why a pattern is refused (for the 422's message)."""


def _options(case_sensitive: bool) -> "re2.Options":
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    options.max_mem = MAX_PROGRAM_BYTES
    options.case_sensitive = case_sensitive
    return options


@lru_cache(maxsize=2048)
def compile_pattern(pattern: str, case_sensitive: bool = True) -> Pattern:
    """The compiled pattern, or `BadPattern` saying why it cannot be one."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise BadPattern(f"a pattern may have at most {MAX_PATTERN_LENGTH} characters")
    try:
        compiled: Pattern = re2.compile(pattern, _options(case_sensitive))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise BadPattern(f"not a pattern RE2 accepts: {text}") from None
    return compiled
