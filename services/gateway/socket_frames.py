"""Frames of the two sockets: reading a client's frame under the API's input rules, and the error frames.

A frame is a JSON object in a text frame, checked like a request body (`validation.load_json`: nested at most
32 levels, no NUL, no lone surrogate). Error frames (protocol decision 4) are
`{"type": "error", "code", "message", "retryable", "client_msg_id"}`: `retryable` tells a client whether
sending the same frame again later can succeed (`service_unavailable`, `rate_limited` after `retry_after`);
`internal_error` and refusals of the frame itself are not.
"""

import logging
from collections.abc import Mapping
from typing import Any

from services.common.errors import RETRYABLE_STATUSES, AppError, BadRequest, InvalidInput
from services.common.failures import unavailable
from services.common.validation import load_json

log = logging.getLogger("floorwalker.gateway.sockets")


class FrameError(AppError):
    """A frame the server will not act on; answered with an error frame, the socket stays open."""


def read_frame(message: Mapping[str, Any]) -> dict[str, Any]:
    """The client's frame from an ASGI `websocket.receive` message, or the `FrameError` that answers it."""
    text = message.get("text")
    if text is None:
        raise FrameError("Send JSON text frames.", code="text_frames_only")
    try:
        frame = load_json(text)
    except InvalidInput as exc:  # too deep, NUL, lone surrogate: the same rules as a request body
        raise FrameError(exc.message, code="invalid_frame") from exc
    except BadRequest as exc:
        raise FrameError("A frame must be a JSON object.", code="malformed_frame") from exc
    if not isinstance(frame, dict):
        raise FrameError("A frame must be a JSON object.", code="malformed_frame")
    return frame


def error_frame(
    code: str, message: str, *, retryable: bool = False, client_msg_id: Any = None, **extra: Any
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message, "retryable": retryable}
    frame["client_msg_id"] = client_msg_id if isinstance(client_msg_id, str) else None
    frame.update(extra)
    return frame


def app_error_frame(exc: AppError, client_msg_id: Any = None) -> dict[str, Any]:
    """The error frame of an `AppError` (the gateway's own, or a service's answer turned into one)."""
    extra: dict[str, Any] = {}
    details = exc.details if isinstance(exc.details, dict) else {}
    if "retry_after" in details:
        extra["retry_after"] = float(details["retry_after"])
    retryable = exc.status_code in RETRYABLE_STATUSES
    return error_frame(exc.code, exc.message, retryable=retryable, client_msg_id=client_msg_id, **extra)


def internal_error_frame(client_msg_id: Any = None) -> dict[str, Any]:
    return error_frame("internal_error", "Something went wrong on our side.", client_msg_id=client_msg_id)


def failure_frame(exc: Exception, frame_type: str, client_msg_id: Any = None) -> dict[str, Any]:
    """The error frame of a failure no handler expected, logged: `service_unavailable` (retryable) when a
    database or Redis is unavailable (`failures.unavailable`, as a REST answer's 503), else `internal_error`."""
    if unavailable(exc):
        log.warning("socket frame %s: unavailable (%s: %s)", frame_type, type(exc).__name__, str(exc)[:500])
        message = "The service is unavailable for a moment: try again."
        return error_frame("service_unavailable", message, retryable=True, client_msg_id=client_msg_id)
    log.error("socket frame %s failed", frame_type, exc_info=exc)
    return internal_error_frame(client_msg_id)


def service_error(body: Any, status: int) -> AppError:
    """A service's error answer as an `AppError` with its status (5xx other than 503: `internal_error`)."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    if status >= 500 and status != 503:
        exc = AppError("Something went wrong on our side.", code="internal_error")
    else:
        exc = AppError(
            str(error.get("message") or f"request failed ({status})"),
            code=str(error.get("code") or "request_failed"),
            details=error.get("details"),
        )
    exc.status_code = status
    return exc
