"""One error type with a stable code, and the handlers that turn every failure into JSON."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("floorwalker.errors")


# Answers to a request that can succeed later, as it is (service unavailable; rate limited, after `Retry-After`).
RETRYABLE_STATUSES = (429, 503)


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def headers(self) -> dict[str, str] | None:
        """Headers the answer carries (`Retry-After`, `Allow`)."""
        return None

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        if self.status_code in RETRYABLE_STATUSES:
            error["retryable"] = True
        return {"error": error}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class MethodNotAllowed(AppError):
    status_code = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allow: list[str], code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.allow = allow

    def headers(self) -> dict[str, str] | None:
        return {"Allow": ", ".join(self.allow)}


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.retry_after = retry_after

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}


class InvalidInput(AppError):
    """Input no handler may see (JSON nested too deep, NUL or a lone surrogate in a string): 422."""

    status_code = 422
    code = "invalid_input"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for programs: e.g. `conversation_not_found`, `validation_error`.")
    message: str = Field(description="For people.")
    details: Any = Field(
        default=None, description="e.g. the fields of a 422 (`[{field, message, type}]`), `{retry_after}` of a 429."
    )
    retryable: bool | None = Field(
        default=None, description="`true` when the same request can succeed later (a 503; a 429 after `Retry-After`)."
    )


class ErrorBody(BaseModel):
    """Every error answer of the API."""

    error: ErrorDetail


# The errors any operation may answer (documented on each in the public OpenAPI document).
ERROR_RESPONSES: dict[int, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed request (e.g. `malformed_json`)."},
    401: {"model": ErrorBody, "description": "Not authenticated, or the token is invalid or expired."},
    403: {"model": ErrorBody, "description": "Authenticated, but not allowed."},
    404: {"model": ErrorBody, "description": "Nothing there (an id of the wrong shape included)."},
    409: {"model": ErrorBody, "description": "Conflicts with the current state."},
    413: {"model": ErrorBody, "description": "Body or message too large."},
    422: {
        "model": ErrorBody,
        "description": "Invalid input: `validation_error` (with the fields), `json_too_deep` (nested over 32 levels),"
        " `invalid_characters` (NUL or a lone surrogate in any text).",
    },
    429: {"model": ErrorBody, "description": "Rate limited: see `Retry-After`."},
    503: {"model": ErrorBody, "description": "A service or Redis is unavailable: retry later."},
}


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if status in RETRYABLE_STATUSES:
        error["retryable"] = True
    return JSONResponse({"error": error}, status_code=status)


def app_error_response(exc: AppError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    path_params = [e["loc"][1] for e in errors if len(e.get("loc", ())) > 1 and e["loc"][0] == "path"]
    if path_params:
        # A path id of the wrong shape names nothing that exists: the same answer as an unknown one.
        return not_found_response(str(path_params[0]))
    fields = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in errors
    ]
    names = ", ".join(f["field"] or "body" for f in fields)
    return error_response(422, "validation_error", f"Invalid request: {names}.", fields)


def not_found_response(param: str) -> JSONResponse:
    """404 for a path parameter naming nothing (`conversation_id` -> `conversation_not_found`)."""
    what = param.removesuffix("_id").replace("_", " ")
    return error_response(404, f"{what.replace(' ', '_')}_not_found", f"No such {what}.")


def known_error_response(exc: Exception) -> JSONResponse | None:
    """The answer for a failure the API reports (an `AppError` or a request that does not validate), as the
    app's handlers give it; None for anything else. For code answering outside FastAPI's routing."""
    if isinstance(exc, AppError):
        return app_error_response(exc)
    if isinstance(exc, RequestValidationError):
        return validation_error_response(exc)
    return None


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error_response(exc)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, code, str(exc.detail))
    if exc.headers:  # e.g. `Allow` of a 405
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """The last resort, outside every middleware (`failures.UnhandledErrors` answers inside them first)."""
    from services.common.failures import unexpected_error_response  # it builds on this module

    return unexpected_error_response(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
