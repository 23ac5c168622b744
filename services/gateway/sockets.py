"""The two WebSockets: visitors (`/ws/visitor`) and operators (`/ws/operator`).

A socket authenticates in its first frame (`socket_auth`), gets `auth.ok`, and only then joins its channels (a
visitor's; an operator's: `hub.operator_channels`):
realtime frames from the bus go to the client through its bounded outgoing queue (`hub.SocketClient`); the
client sends `message.send`, `resume`, `auth.refresh` and `ping` frames, and a visitor's widget its answers to
invitations (`invitation.shown`, `.accept`, `.close`: `engage.desk`). A socket whose token expires without a
refresh is closed (1008).

What one client cannot do to the others:
- send faster than its limits (`socket_limits`): `rate_limited` error frames, then close 1008;
- make the server buffer without bound: its frames are handled one at a time, and the next one is not read
  while its outgoing queue is (nearly) full; still full after `SLOW_CLIENT_SECONDS`: close 1013;
- leave work half done: a frame under way is finished even when its socket goes (`_finish`). Cancelling it
  cancelled the chat request inside its database transaction (embedded, the in-process transport runs it in
  the socket's task), and on SQLite that could leave the connection checked out with its write lock held:
  every chat write of every account failed until a restart.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.errors import AppError, Unauthorized
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, identity_from_public_token
from services.common.validation import MAX_INT
from services.gateway import typing_frames
from services.gateway.engage.desk import VISITOR_FRAMES
from services.gateway.hub import CLOSE_SECONDS, SLOW_REASON, TRY_AGAIN_LATER, SocketClient, operator_channels
from services.gateway.sites import SiteDirectory, origin_allowed
from services.gateway.socket_auth import SocketKind, SocketRefused, console_origin, first_frame_identity
from services.gateway.socket_frames import (
    FrameError,
    app_error_frame,
    error_frame,
    failure_frame,
    read_frame,
    service_error,
)
from services.gateway.socket_limits import Abusive, RateLimited, SocketLimits
from services.gateway.state import gateway_state
from services.gateway.typing_frames import TYPING_FRAMES

router = APIRouter()
log = logging.getLogger("floorwalker.gateway.sockets")
POLICY = 1008
RESUME_PAGE = 500
FRAME_ROOM = 16  # free places the outgoing queue needs before the next frame is read (its answers fit)
SLOW_CLIENT_SECONDS = 10.0  # how long a client may leave its outgoing queue full
ROOM_POLL_SECONDS = 0.05
MESSAGES = "/api/v1/conversations/{conversation_id}/messages"
_finishing: set[asyncio.Task[None]] = set()  # frames under way whose socket is gone


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


SLOW = Close(TRY_AGAIN_LATER, SLOW_REASON)


class SlowClient(Exception):
    """The client left its outgoing queue full for `SLOW_CLIENT_SECONDS`."""


@dataclass(slots=True)
class SocketSession:
    identity: Identity
    expires_at: int
    client: SocketClient
    limits: SocketLimits
    expiry: asyncio.TimerHandle | None = field(default=None)  # closes the socket when its token expires

    def watch_expiry(self) -> None:
        """(Re)arm the timer that closes the socket (1008) when its token expires: a timer, not a task per socket."""
        self.unwatch()
        delay = max(0.0, self.expires_at - time.time())
        self.expiry = asyncio.get_running_loop().call_later(delay, self.client.close_soon, POLICY, "token expired")

    def unwatch(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None


def _runtime(websocket: WebSocket) -> ServiceRuntime:
    runtime: ServiceRuntime = websocket.app.state.runtime
    return runtime


@router.websocket("/ws/visitor")
async def visitor_socket(websocket: WebSocket) -> None:
    runtime = _runtime(websocket)
    await websocket.accept()
    admitted = await _authenticated(websocket, runtime, "visitor")
    if admitted is not None:
        identity, expires_at = admitted
        visitors = gateway_state(websocket).visitors
        if visitors is not None:  # chat: a waiting chat's visitor is there while a socket of theirs is
            visitors.join(identity)
        try:
            await _serve(websocket, runtime, identity, expires_at, (f"visitor:{identity.visitor_id}",))
        finally:
            if visitors is not None:
                visitors.leave(identity)


@router.websocket("/ws/operator")
async def operator_socket(websocket: WebSocket) -> None:
    runtime = _runtime(websocket)
    if not console_origin(runtime.settings, websocket.headers.get("origin")):
        log.info("operator socket refused: origin %r is not a console origin", websocket.headers.get("origin"))
        await websocket.close(code=POLICY)  # before the handshake: HTTP 403
        return
    await websocket.accept()
    admitted = await _authenticated(websocket, runtime, "operator")
    if admitted is not None:
        identity, expires_at = admitted
        consoles = gateway_state(websocket).consoles
        if consoles is not None:  # chat's presence: this console is there while the socket is
            consoles.join(identity)
        try:
            channels = operator_channels(identity) + typing_frames.typing_channels(identity)  # CHAT-4: drafts
            await _serve(websocket, runtime, identity, expires_at, channels)
        finally:
            if consoles is not None:
                consoles.leave(identity)


async def _authenticated(
    websocket: WebSocket, runtime: ServiceRuntime, kind: SocketKind
) -> tuple[Identity, int] | None:
    """The identity of the socket's `auth` frame, admitted; None when the socket was refused (closed) or left."""
    try:
        identity, expires_at = await first_frame_identity(websocket, runtime.settings, kind)
        if kind == "visitor":
            await _check_site(gateway_state(websocket).sites, identity, websocket.headers.get("origin"))
    except SocketRefused as exc:
        log.info("%s socket refused: %s", kind, exc.reason)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_SECONDS):
                await websocket.close(code=POLICY, reason=exc.reason)
        return None
    except WebSocketDisconnect:
        return None
    except Exception as exc:  # its site could not be read (the database unavailable): retryable, else a bug
        frame = failure_frame(exc, "auth")
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_SECONDS):
                await websocket.send_json(frame)
                await websocket.close(code=TRY_AGAIN_LATER if frame["retryable"] else 1011, reason=frame["code"])
        return None
    return identity, expires_at


async def _check_site(directory: SiteDirectory, identity: Identity, origin: str | None) -> None:
    site = await directory.by_id(identity.site_id or "")
    if site is None or site.account_id != identity.account_id:
        raise SocketRefused("unknown site")
    if not origin_allowed(site, origin):
        raise SocketRefused("origin not allowed for this site")


async def _serve(
    websocket: WebSocket, runtime: ServiceRuntime, identity: Identity, expires_at: int, channels: tuple[str, ...]
) -> None:
    state = gateway_state(websocket)
    hub, edge = state.hub, state.edge
    visitor_id = identity.visitor_id if identity.kind == "visitor" else None
    client = SocketClient(websocket, identity)
    session = SocketSession(identity, expires_at, client, SocketLimits(runtime.settings, edge.limiter, visitor_id))
    client.push({"type": "auth.ok", "expires_at": expires_at})
    for channel in channels:
        await hub.join(channel, client)
    session.watch_expiry()
    if visitor_id is not None:
        with contextlib.suppress(Exception):  # their pending invitations; a failure here is not the socket's
            await state.invitations.greet(client, identity)
    try:
        # The socket's own task reads its frames; its writer runs only while frames wait (`SocketClient`),
        # and a timer closes it when its token expires: an idle socket costs one suspended task.
        closing = await _receive(websocket, runtime, session)
        if closing is not None:
            log.info("closing socket: %d %s", closing.code, closing.reason)
            await client.close(closing.code, closing.reason, drain=closing is not SLOW)
    finally:
        session.unwatch()
        for channel in channels:
            await hub.leave(channel, client)
        client.discard()


async def _room(client: SocketClient, needed: int) -> bool:
    """Wait, reading nothing more from the socket, until the client's outgoing queue has `needed` free places;
    False if it still has not after `SLOW_CLIENT_SECONDS` (or frames for it were dropped already)."""
    deadline: float | None = None
    while client.room() < needed and not client.overflowed:
        now = time.monotonic()
        deadline = deadline or now + SLOW_CLIENT_SECONDS
        if now >= deadline:
            return False
        await asyncio.sleep(ROOM_POLL_SECONDS)
    return not client.overflowed


async def _receive(websocket: WebSocket, runtime: ServiceRuntime, session: SocketSession) -> Close | None:
    """Read and handle the client's frames one at a time; the close to give, or None when the client left."""
    client = session.client
    with contextlib.suppress(WebSocketDisconnect):
        while not client.gone:  # the frames it sent before it went are not worked on
            if not await _room(client, FRAME_ROOM):
                return SLOW
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            frame: dict[str, Any] = {}
            try:
                session.limits.frame()
                frame = read_frame(message)
                if frame.get("type") == "message.send":
                    await session.limits.message()
                elif frame.get("type") == "typing":
                    session.limits.typing_signal()
            except FrameError as exc:
                client.push(error_frame(exc.code, exc.message))
                continue
            except RateLimited as exc:
                client.push(
                    error_frame(
                        "rate_limited",
                        str(exc),
                        retryable=True,
                        retry_after=exc.retry_after,
                        client_msg_id=frame.get("client_msg_id"),
                    )
                )
                continue
            except Abusive as exc:
                log.warning("socket of %s closed: %s", session.identity.visitor_id or session.identity.user_id, exc)
                return Close(POLICY, "too many frames")
            try:
                await _finish(_handle(runtime, session, frame))
            except SlowClient:
                return SLOW
    return None


async def _finish(work: Coroutine[Any, Any, None]) -> None:
    """Run a frame's work to its end even if the socket (this task) is cancelled meanwhile."""
    task = asyncio.create_task(work)
    _finishing.add(task)
    task.add_done_callback(_finished)
    await asyncio.shield(task)


def _finished(task: asyncio.Task[None]) -> None:
    _finishing.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a socket gone meanwhile has nobody to tell


async def _handle(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    kind = frame.get("type")
    client_msg_id = frame.get("client_msg_id")
    try:
        if kind == "message.send":
            await _send_message(runtime, session, frame)
        elif kind == "resume":
            await _resume(runtime, session, frame)
        elif kind == "auth.refresh":
            _refresh(runtime, session, frame)
        elif kind == "ping":
            session.client.push({"type": "pong"})
        elif kind in TYPING_FRAMES:
            await typing_frames.handle(session, frame)
        elif kind in VISITOR_FRAMES and session.identity.kind == "visitor":
            await _answer_invitation(session, frame)
        else:
            raise FrameError(f"Unknown frame type {str(kind)[:40]!r}.", code="unknown_frame")
    except SlowClient:
        raise
    except AppError as exc:
        session.client.push(app_error_frame(exc, client_msg_id))
    except Exception as exc:  # a database or Redis unavailable: retryable `service_unavailable`
        session.client.push(failure_frame(exc, str(kind)[:40], client_msg_id))


async def _answer_invitation(session: SocketSession, frame: dict[str, Any]) -> None:
    """`invitation.shown`, `.accept` or `.close` (`engage.desk`); an error frame names the invitation."""
    try:
        await gateway_state(session.client.websocket).invitations.answer(session.identity, frame, session.client)
    except Exception as exc:
        kind = str(frame.get("type"))[:40]
        error = app_error_frame(exc) if isinstance(exc, AppError) else failure_frame(exc, kind)
        invitation_id = frame.get("invitation_id")
        session.client.push({**error, "invitation_id": invitation_id if isinstance(invitation_id, str) else None})


async def _send_message(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    clients = gateway_state(session.client.websocket).clients
    conversation_id, client_msg_id, text = frame.get("conversation_id"), frame.get("client_msg_id"), frame.get("text")
    if not isinstance(conversation_id, str) or not isinstance(client_msg_id, str) or not isinstance(text, str):
        raise FrameError("message.send needs conversation_id, client_msg_id and text.", code="invalid_frame")
    body = {"client_msg_id": client_msg_id, "text": text}
    if frame.get("quote_seq") is not None:  # a quote-reply (CHAT-5): chat checks it
        body["quote_seq"] = frame["quote_seq"]
    response = await clients.call(
        "POST", MESSAGES, session.identity, json=body, path_params={"conversation_id": conversation_id}
    )
    payload = response.json()
    if response.status_code >= 400:
        raise service_error(payload, response.status_code)
    session.client.push({"type": "message.ack", "client_msg_id": client_msg_id, "message": payload})


async def _resume(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    """Send every message after `after_seq`, then `resume.done` with the last sequence number; a page at a
    time, each once the client's outgoing queue has room for it. The first page also brings, as `message.updated`,
    the messages up to `after_seq` edited or retracted (CHAT-5: an edit takes no seq)."""
    clients = gateway_state(session.client.websocket).clients
    conversation_id = frame.get("conversation_id")
    after = frame.get("after_seq", 0)
    if not isinstance(conversation_id, str) or type(after) is not int or not 0 <= after <= MAX_INT:
        raise FrameError("resume needs conversation_id and an after_seq from 0 to 2^53-1.", code="invalid_frame")
    first = "true" if after > 0 else "false"  # the first page also brings the messages edited up to after_seq
    while True:
        if not await _room(session.client, RESUME_PAGE + 1):
            raise SlowClient
        response = await clients.call(
            "GET",
            MESSAGES,
            session.identity,
            params={"after_seq": after, "limit": RESUME_PAGE, "changes": first},
            path_params={"conversation_id": conversation_id},
        )
        payload = response.json()
        if response.status_code >= 400:
            raise service_error(payload, response.status_code)
        for changed in payload.get("changed", ()):  # edited or retracted up to after_seq (CHAT-5)
            session.client.push({"type": "message.updated", "message": changed})
        first = "false"
        for message in payload["messages"]:
            session.client.push({"type": "message.created", "message": message})
            after = message["seq"]
        if len(payload["messages"]) < RESUME_PAGE:
            break
    await typing_frames.push_marks(session, conversation_id)  # what was read meanwhile (EMB-8)
    session.client.push({"type": "resume.done", "conversation_id": conversation_id, "last_seq": after})


def _refresh(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    token = frame.get("token")
    if not isinstance(token, str):
        raise FrameError("auth.refresh needs a token.", code="invalid_frame")
    identity, expires_at = identity_from_public_token(token, runtime.settings.jwt_secret)
    same = (identity.kind, identity.account_id, identity.user_id, identity.visitor_id) == (
        session.identity.kind,
        session.identity.account_id,
        session.identity.user_id,
        session.identity.visitor_id,
    )
    if not same:
        raise Unauthorized("The new token is for someone else.", code="identity_mismatch")
    session.identity, session.expires_at = identity, expires_at
    session.client.identity = identity
    session.watch_expiry()
    session.client.push({"type": "auth.ok", "expires_at": expires_at})


SOCKET_HANDLERS: dict[str, Callable[[WebSocket], Awaitable[None]]] = {
    "/ws/visitor": visitor_socket,
    "/ws/operator": operator_socket,
}


class SocketFastPath:
    """Pure ASGI middleware, the gateway's outermost: the two socket paths go straight to their handlers.

    A socket lives as long as its tab, and every layer it passed through stays suspended under it for that
    long: FastAPI's routing (its scope copy, three exit stacks, the dependency machinery) and the HTTP
    middlewares, none of which does anything for a socket. Skipping them is a third of an idle socket's
    memory (`bench/idle_sockets.py`). Any other socket path goes on to the app (and is refused there)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            handler = SOCKET_HANDLERS.get(scope["path"])
            if handler is not None:
                await handler(WebSocket(scope, receive, send))
                return
        await self.app(scope, receive, send)
