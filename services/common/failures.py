"""What an exception no handler answered becomes: 503 `service_unavailable` (retryable) when something the
service needs is unavailable (its database: connection lost or refused, SQLite busy or locked, PostgreSQL
shutting down or timing out; Redis), else 500 `internal_error`. The body never holds the exception; the
log does.

`UnhandledErrors` answers them inside the app's middleware (Starlette's own last-resort handler sits
outside every middleware, so its 500s lacked the gateway's security headers), and the sockets turn the
same failures into their error frames (`unavailable` tells which).
"""

import logging
import socket
import sqlite3

import redis.exceptions
from sqlalchemy import exc as sa
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import error_response, known_error_response

log = logging.getLogger("floorwalker.errors")

RETRY_AFTER_SECONDS = 1
# SQLite: the write lock is held (busy timeout over), the file cannot be read, written or opened.
_SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_PROTOCOL",
)
# PostgreSQL SQLSTATE classes: connection exception, insufficient resources, operator intervention
# (shutdown, terminated backend, statement timeout), system error; and the codes worth retrying.
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
_PG_UNAVAILABLE = {"25006", "40001", "40P01", "55P03"}  # read-only (a standby), serialization, deadlock, lock
_OTHERS_UNAVAILABLE = (
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,
    socket.gaierror,  # the database's host name does not resolve (yet)
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica, after a failover
)


def _is_closed_transport(exc: BaseException) -> bool:
    """uvloop's answer to a write on a connection the peer has closed (Redis restarting under redis-py):
    `RuntimeError('unable to perform operation on <TCPTransport closed=True ...>; the handler is closed')`."""
    text = str(exc)
    return type(exc) is RuntimeError and text.startswith("unable to perform operation on") and "closed" in text


def _is_unavailable(exc: BaseException) -> bool:
    if _is_closed_transport(exc):
        return True
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.DisconnectionError | sa.TimeoutError):  # a dropped connection; the pool exhausted
        return True
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        return name.startswith(_SQLITE_UNAVAILABLE)
    sqlstate = getattr(exc, "sqlstate", None)  # asyncpg's errors, and SQLAlchemy's translations of them
    if isinstance(sqlstate, str) and (sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE):
        return True
    return isinstance(exc, _OTHERS_UNAVAILABLE)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says a database or Redis is unavailable: retrying later can succeed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_unavailable(current):
            return True
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and _is_unavailable(orig):
            return True
        current = current.__cause__ or current.__context__
    return False


def unavailable_response() -> JSONResponse:
    response = error_response(503, "service_unavailable", "The service is unavailable for a moment: try again.")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unexpected_error_response(request: Request, exc: BaseException) -> JSONResponse:
    """The answer to an exception no handler answered (an `AppError` raised outside the routes gets its
    own answer), logged with what the answer leaves out."""
    if isinstance(exc, Exception) and (known := known_error_response(exc)) is not None:
        return known
    if unavailable(exc):
        log.warning("%s %s: unavailable (%s: %s)", request.method, request.url.path, type(exc).__name__, str(exc)[:500])
        return unavailable_response()
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")


class UnhandledErrors:
    """Pure ASGI: an exception from the app inside (routes and the middleware within) is answered here
    (`unexpected_error_response`), so that every middleware outside adds its headers to that answer too.
    After the answer started, nothing can be said any more: the exception goes on to the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise
            await unexpected_error_response(Request(scope), exc)(scope, receive, send)
