"""Tokens never reach a log line: each log record is scrubbed when it is made, before any handler sees it.

Tokens travel only in headers and frames (never in URLs), but a log line can still come to hold one: an old
client's `?token=` or `?vt=` in uvicorn's WebSocket and access lines or httpx's request line, a frame or a
header in a library's DEBUG output, an exception's text. `install` wraps the process's log record factory so
that every record (its message, its arguments, its exception text) has, in place of a token:
- any JWT (access, visitor and the internal identity tokens are JWTs);
- the value of a `token`, `vt`, `access_token`, `refresh_token` or `visitor_token` query parameter, JSON or
  form field, and of an `Authorization` or `X-FW-Identity` header (refresh tokens are opaque).
The record keeps its shape (uvicorn's access formatter reads its arguments), only the values change.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_NAMES = r"(?:access_token|refresh_token|visitor_token|token|vt)"
_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*)?"),  # a JWT (also cut short)
    re.compile(rf"(?i)([?&;]{_NAMES}=)[^&\s\"'#;]+"),  # a query parameter
    re.compile(rf"(?i)(\\?[\"']{_NAMES}\\?[\"']\s*:\s*\\?[\"'])[^\"'\\]+"),  # a JSON field
    re.compile(r"(?i)((?:authorization|x-fw-identity)\\?[\"']?\s*[:=,]\s*\\?[\"']?\s*(?:bearer\s+)?)[^\s\"'\\,)\]]+"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"),
)
_CHEAP_SIGNS = ("eyJ", "token", "vt=", "uthorization", "x-fw-identity", "earer")
_formatter = logging.Formatter()
_installed = False


def redact(text: str) -> str:
    """`text` with every token it holds replaced by `[redacted]`."""
    lowered = text.lower()
    if not any(sign.lower() in lowered for sign in _CHEAP_SIGNS):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    clean = redact(text)
    return value if clean == text else clean


def scrub(record: logging.LogRecord) -> None:
    """Redact a record's message, arguments and exception text in place."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {key: _clean(value) for key, value in record.args.items()}
    elif record.args:
        record.args = tuple(_clean(value) for value in record.args)
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_formatter.formatException(record.exc_info))


def install() -> None:
    """Scrub every log record made from now on in this process (once; later calls do nothing)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        scrub(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
