"""The two WebSockets: visitors (`/ws/visitor`) and operators (`/ws/operator`).

Both carry realtime frames from the bus to the client and take `message.send`, `resume` and
`auth.refresh` frames from it. A socket whose token expires without a refresh is closed (1008).
"""

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from services.common.errors import AppError, Unauthorized
from services.common.service import ServiceRuntime
from services.common.tokens import Identity, identity_from_public_token
from services.gateway.hub import Hub, SocketClient
from services.gateway.proxy import ServiceClients
from services.gateway.sites import SiteDirectory, origin_allowed

router = APIRouter()
log = logging.getLogger("floorwalker.gateway.sockets")
POLICY = 1008
RESUME_PAGE = 500


@dataclass
class SocketSession:
    identity: Identity
    expires_at: int
    client: SocketClient


def _runtime(websocket: WebSocket) -> ServiceRuntime:
    runtime: ServiceRuntime = websocket.app.state.runtime
    return runtime


async def _refuse(websocket: WebSocket, reason: str) -> None:
    await websocket.accept()
    await websocket.close(code=POLICY, reason=reason[:120])


def _authenticate(websocket: WebSocket, runtime: ServiceRuntime, kind: str) -> tuple[Identity, int]:
    token = websocket.query_params.get("token")
    if not token:
        raise Unauthorized("token missing", code="not_authenticated")
    identity, expires_at = identity_from_public_token(token, runtime.settings.jwt_secret)
    if (identity.kind == "user") != (kind == "operator"):
        raise Unauthorized(f"a {kind} token is required", code="invalid_token")
    return identity, expires_at


@router.websocket("/ws/visitor")
async def visitor_socket(websocket: WebSocket) -> None:
    runtime = _runtime(websocket)
    try:
        identity, expires_at = _authenticate(websocket, runtime, "visitor")
    except Unauthorized as exc:
        await _refuse(websocket, exc.message)
        return
    directory: SiteDirectory = runtime.extras["sites"]
    site = await directory.by_id(identity.site_id or "")
    if site is None or site.account_id != identity.account_id:
        await _refuse(websocket, "unknown site")
        return
    if not origin_allowed(site, websocket.headers.get("origin")):
        await _refuse(websocket, "origin not allowed for this site")
        return
    await _serve(websocket, runtime, identity, expires_at, f"visitor:{identity.visitor_id}")


@router.websocket("/ws/operator")
async def operator_socket(websocket: WebSocket) -> None:
    runtime = _runtime(websocket)
    try:
        identity, expires_at = _authenticate(websocket, runtime, "operator")
    except Unauthorized as exc:
        await _refuse(websocket, exc.message)
        return
    origin = websocket.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in runtime.settings.allowed_console_origins():
        await _refuse(websocket, "origin not allowed for the console")
        return
    await _serve(websocket, runtime, identity, expires_at, f"account:{identity.account_id}")


async def _serve(
    websocket: WebSocket, runtime: ServiceRuntime, identity: Identity, expires_at: int, channel: str
) -> None:
    hub: Hub = runtime.extras["hub"]
    await websocket.accept()
    session = SocketSession(identity=identity, expires_at=expires_at, client=SocketClient(websocket))
    await hub.join(channel, session.client)
    writer = asyncio.create_task(session.client.write_loop())
    watchdog = asyncio.create_task(_expire(websocket, session))
    receiver = asyncio.create_task(_receive(websocket, runtime, session))
    try:
        await asyncio.wait({writer, watchdog, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await hub.leave(channel, session.client)
        for task in (writer, watchdog, receiver):
            task.cancel()
        for task in (writer, watchdog, receiver):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _expire(websocket: WebSocket, session: SocketSession) -> None:
    while True:
        remaining = session.expires_at - time.time()
        if remaining <= 0:
            await websocket.close(code=POLICY, reason="token expired")
            return
        await asyncio.sleep(min(remaining, 30))


async def _receive(websocket: WebSocket, runtime: ServiceRuntime, session: SocketSession) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                session.client.push({"type": "error", "code": "text_frames_only", "message": "Send JSON text frames."})
                continue
            await _handle(runtime, session, text)


async def _handle(runtime: ServiceRuntime, session: SocketSession, text: str) -> None:
    try:
        frame = json.loads(text)
        if not isinstance(frame, dict):
            raise ValueError
    except ValueError:
        session.client.push({"type": "error", "code": "malformed_frame", "message": "A frame must be a JSON object."})
        return
    kind = frame.get("type")
    try:
        if kind == "message.send":
            await _send_message(runtime, session, frame)
        elif kind == "resume":
            await _resume(runtime, session, frame)
        elif kind == "auth.refresh":
            _refresh(runtime, session, frame)
        elif kind == "ping":
            session.client.push({"type": "pong"})
        else:
            session.client.push({"type": "error", "code": "unknown_frame", "message": f"Unknown frame type {kind!r}."})
    except AppError as exc:
        session.client.push(
            {"type": "error", "code": exc.code, "message": exc.message, "client_msg_id": frame.get("client_msg_id")}
        )
    except Exception:
        log.exception("socket frame %s failed", kind)
        session.client.push(
            {
                "type": "error",
                "code": "internal_error",
                "message": "Try again.",
                "client_msg_id": frame.get("client_msg_id"),
            }
        )


def _service_error(body: dict[str, Any], status: int) -> AppError:
    error = body.get("error") or {}
    exc = AppError(error.get("message", f"request failed ({status})"), code=error.get("code", "request_failed"))
    exc.status_code = status
    return exc


async def _send_message(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    clients: ServiceClients = runtime.extras["clients"]
    conversation_id = str(frame.get("conversation_id") or "")
    client_msg_id = frame.get("client_msg_id")
    if not conversation_id or not isinstance(client_msg_id, str) or not isinstance(frame.get("text"), str):
        raise AppError("message.send needs conversation_id, client_msg_id and text.", code="invalid_frame")
    body = {"client_msg_id": client_msg_id, "text": frame["text"]}
    response = await clients.call(
        "POST", f"/api/v1/conversations/{conversation_id}/messages", session.identity, json=body
    )
    payload = response.json()
    if response.status_code >= 400:
        raise _service_error(payload, response.status_code)
    session.client.push({"type": "message.ack", "client_msg_id": client_msg_id, "message": payload})


async def _resume(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    """Send every message after `after_seq`, then `resume.done` with the last sequence number."""
    clients: ServiceClients = runtime.extras["clients"]
    conversation_id = str(frame.get("conversation_id") or "")
    after = frame.get("after_seq", 0)
    if not conversation_id or not isinstance(after, int) or after < 0:
        raise AppError("resume needs conversation_id and a non-negative after_seq.", code="invalid_frame")
    while True:
        path = f"/api/v1/conversations/{conversation_id}/messages"
        response = await clients.call("GET", path, session.identity, params={"after_seq": after, "limit": RESUME_PAGE})
        payload = response.json()
        if response.status_code >= 400:
            raise _service_error(payload, response.status_code)
        for message in payload["messages"]:
            session.client.push({"type": "message.created", "message": message})
            after = message["seq"]
        if len(payload["messages"]) < RESUME_PAGE:
            break
    session.client.push({"type": "resume.done", "conversation_id": conversation_id, "last_seq": after})


def _refresh(runtime: ServiceRuntime, session: SocketSession, frame: dict[str, Any]) -> None:
    token = frame.get("token")
    if not isinstance(token, str):
        raise AppError("auth.refresh needs a token.", code="invalid_frame")
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
    session.client.push({"type": "auth.ok", "expires_at": expires_at})
