"""The one validation layer for what callers send, shared by the REST services and the sockets.

- Path ids by shape: `ID_PATTERN` (UUIDs, as `ids.new_id` makes them, or ULIDs) for the ids the gateway
  hands out, `KEY_PATTERN` for site ids, site keys and the services' own path parameters. A path id of
  the wrong shape names nothing: 404 (`errors.validation_error_response`).
- Integers bounded: `MAX_INT` (what a JavaScript client and a BIGINT column both hold exactly): 422.
- JSON: nested at most `MAX_JSON_DEPTH` levels, no NUL and no lone surrogate in any string (PostgreSQL
  cannot store them, and UTF-8 cannot carry a lone surrogate): 422. `InputGuard` checks every request
  body a route of a service may read (POST, PUT, PATCH, DELETE; and refuses `%00` in a query string); `load_json` and `check_json_value` check a
  socket frame, before and after decoding.
"""

import json
import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Annotated, Any

from fastapi import Path, Query
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import BadRequest, InvalidInput, PayloadTooLarge, app_error_response

MAX_JSON_DEPTH = 32
MAX_INT = 2**53 - 1
MAX_BODY_BYTES = 1_048_576  # the largest body any endpoint takes (the gateway's proxy has the same limit)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # the methods whose body a route may read
# The routes that read their body as a stream, with a limit of their own, and not as JSON: a chat attachment's
# upload (CHAT-10, `services/chat/attachments`), at the gateway and in chat. The guard leaves their body alone.
STREAMED_BODY = re.compile(r"^/api/v1/conversations/[^/]+/attachments$")

ID_PATTERN = (
    r"^(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26})$"
)
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ID_SHAPE = re.compile(ID_PATTERN)  # use with `fullmatch`: Python's `$` also matches before a final newline
KEY_SHAPE = re.compile(KEY_PATTERN)

# A service's path parameter naming a stored thing; of the wrong shape it is a 404.
PathKey = Annotated[str, Path(pattern=KEY_PATTERN, description="Letters, digits, `_` and `-` (1-64).")]
QueryKey = Annotated[str, Query(pattern=KEY_PATTERN, description="Letters, digits, `_` and `-` (1-64).")]
SeqNumber = Annotated[int, Query(ge=0, le=MAX_INT, description="A message sequence number (0: from the start).")]

# The structure of a JSON text without parsing it: brackets and the quotes that delimit strings.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 once read as signed bytes
# What only a NUL or a lone surrogate can come from: an escape (decoded to see), or a UTF-8-encoded
# surrogate, which `json.loads` lets through from bytes ('surrogatepass') and is never valid UTF-8.
_ESCAPE = b"\\u"
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def too_deep(limit: int = MAX_JSON_DEPTH) -> InvalidInput:
    return InvalidInput(f"JSON may nest at most {limit} levels of arrays and objects.", code="json_too_deep")


def bad_characters() -> InvalidInput:
    return InvalidInput("Text may not contain NUL or a lone surrogate.", code="invalid_characters")


def json_depth(text: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, read without parsing it (so a text too deep for
    the parser's recursion costs a scan, not a crash); brackets inside strings do not count.

    Escaped backslashes, then escaped quotes, are dropped first: every quote left delimits a string, so the
    text between the odd and even quotes is inside one (an unterminated string runs to the end). A text
    that is not JSON may be read differently from how its parser would, but only after the point where
    that parser stops, so the parser never nests deeper than this says.
    """
    if b"\\" in text:
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Two adjacent quotes enclose nothing (or only what lies between two strings, which is nothing either):
    # dropping them changes no other quote's parity, and leaves few strings to split.
    structure = text.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    outside = b"".join(structure.split(b'"')[::2]) if b'"' in structure else structure
    if not outside:
        return 0
    return max(0, max(accumulate(memoryview(outside.translate(_STEPS)).cast("b"))))


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from (k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            depth += 1
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children if isinstance(child, dict | list | tuple))
    return False


def check_json_value(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse (422) a decoded JSON value nested deeper than `max_depth` or with NUL or a lone surrogate in a
    string (a key or a value): what a socket frame or a body built by the gateway must pass."""
    if _depth_exceeds(value, max_depth):
        raise too_deep(max_depth)
    if any(_BAD_CHARACTER.search(s) for s in _strings(value)):
        raise bad_characters()


def check_json_bytes(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse (422) a JSON text nested deeper than `max_depth` or with NUL or a lone surrogate in a string.

    Cheap: a scan of its structure (`json_depth`); decoded only when it has a `\\u` escape. A text that is
    not JSON passes: its parser refuses it.
    """
    if json_depth(body) > max_depth:
        raise too_deep(max_depth)
    if _ENCODED_SURROGATE.search(body):
        raise bad_characters()
    if _ESCAPE in body:
        try:
            value = json.loads(body)
        except ValueError:
            return
        if any(_BAD_CHARACTER.search(s) for s in _strings(value)):
            raise bad_characters()


def load_json(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a socket frame (or any JSON text) under the same rules as a request body: 400 `malformed_json`
    when it is not JSON, 422 when too deep or holding NUL or a lone surrogate."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    check_json_bytes(data, max_depth)
    try:
        return json.loads(data)
    except ValueError as exc:
        raise BadRequest("The text is not valid JSON.", code="malformed_json") from exc


def _query_has_nul(query: bytes) -> bool:
    return b"%00" in query or b"\x00" in query


class InputGuard:
    """Pure ASGI middleware of every service: reads a request's body (at most `MAX_BODY_BYTES`, else 413) when
    its method may have one a route reads (`BODY_METHODS`), checks it with `check_json_bytes` and hands it
    on unchanged; a query string with a NUL is refused. Errors are answered here, before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            if _query_has_nul(scope.get("query_string", b"")):
                raise InvalidInput("A query parameter may not contain NUL.", code="invalid_characters")
            # No route reads their body (routing answers: 405 for TRACE), or the route streams it itself.
            if scope["method"] not in BODY_METHODS or (
                scope["method"] == "POST" and STREAMED_BODY.match(scope["path"])
            ):
                await self.app(scope, receive, send)
                return
            body, rest = await _read_body(receive)
            check_json_bytes(body)
        except (InvalidInput, PayloadTooLarge) as exc:
            await app_error_response(exc)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return rest if rest is not None else {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body, and the message to hand on instead of it when the client left before sending it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message  # http.disconnect: the app sees it as it would have
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"A request body may have at most {MAX_BODY_BYTES} bytes.", code="body_too_large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None
