"""Who is on a socket: the first frame says (`{"type": "auth", "token"}`), never the URL.

A token in a URL ends up in access logs, proxy logs and browser history; a frame does not. A socket must send
its `auth` frame within `WS_AUTH_TIMEOUT` seconds; a missing or bad token, a token of the wrong kind or any
other frame first is refused (close 1008 with the reason). The operator socket also needs a console Origin
(`CONSOLE_ORIGINS` and `PUBLIC_URL`): a page elsewhere must not ride an operator's browser into it, so a
socket without an allowed Origin is refused before its handshake completes (HTTP 403).
"""

import asyncio
from typing import Literal

from starlette.websockets import WebSocket, WebSocketDisconnect

from services.common.errors import AppError
from services.common.settings import Settings
from services.common.tokens import Identity, identity_from_public_token
from services.gateway.socket_frames import FrameError, read_frame

SocketKind = Literal["visitor", "operator"]


class SocketRefused(Exception):
    """The socket is closed with 1008 and this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:120]  # a close reason has at most 123 bytes


def console_origin(settings: Settings, origin: str | None) -> bool:
    """Whether an operator socket from this Origin is allowed (a missing Origin is not)."""
    return origin is not None and origin.rstrip("/") in settings.allowed_console_origins()


async def first_frame_identity(websocket: WebSocket, settings: Settings, kind: SocketKind) -> tuple[Identity, int]:
    """The identity and expiry (unix seconds) of the `auth` frame a socket starts with."""
    try:
        async with asyncio.timeout(settings.ws_auth_timeout):
            message = await websocket.receive()
    except TimeoutError:
        raise SocketRefused(f"no auth frame within {settings.ws_auth_timeout:g} s") from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        frame = read_frame(message)
    except FrameError as exc:
        raise SocketRefused(f"the first frame must be auth ({exc.message})") from exc
    token = frame.get("token")
    if frame.get("type") != "auth" or not isinstance(token, str) or not token:
        raise SocketRefused('the first frame must be {"type": "auth", "token": ...}')
    try:
        identity, expires_at = identity_from_public_token(token, settings.jwt_secret)
    except AppError as exc:
        raise SocketRefused(exc.message) from exc
    if (identity.kind == "user") != (kind == "operator"):
        raise SocketRefused(f"{'an operator' if kind == 'operator' else 'a visitor'} token is required")
    return identity, expires_at
