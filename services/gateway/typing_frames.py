"""The sockets' `typing` and `read` frames (CHAT-4, EMB-8), checked here, then handed to chat (who knows who
sees the conversation: `services/chat/typing_signals.py`, `read_marks.py`).

- `{"type": "typing", "conversation_id", "typing": true|false, "draft": "..."}`: the sender is typing (or
  stopped). `draft` (visitors only: sneak-peek) is cut to `MAX_DRAFT` characters and dropped when the
  visitor's site has sneak-peek off (`SitePrivacy.sneak_peek`), whatever the widget sent. Never stored; each
  socket may send `WS_TYPING_PER_10S` of them (`socket_limits`, counted where every frame is), and an accepted one is answered with nothing.
- `{"type": "read", "conversation_id", "seq"}`: the sender has seen the messages up to `seq`; chat stores the
  mark and announces it (`conversation.read`) when it moved.
A resume ends with the conversation's marks as `conversation.read` frames (`push_marks`), so a client that
was away learns what was read meanwhile.

A visitor's typing (with the draft) reaches only the users in the conversation: chat publishes it on
`typing:<account>:<user>` of each (`services/chat/typing_signals.py`), and every user's socket joins its own
(`typing_channels`), a manager's too: the account's channel, which managers' sockets get every conversation frame
of, never carries a draft.
"""

from typing import TYPE_CHECKING, Any

from services.common.validation import ID_SHAPE, KEY_SHAPE, MAX_INT
from services.gateway.socket_frames import FrameError, service_error
from services.gateway.state import gateway_state

if TYPE_CHECKING:
    from services.common.tokens import Identity
    from services.gateway.sockets import SocketSession

TYPING_FRAMES = frozenset({"typing", "read"})
MAX_DRAFT = 500
TYPING = "/internal/v1/conversations/{conversation_id}/typing"
READ = "/internal/v1/conversations/{conversation_id}/read"


def typing_channels(identity: "Identity") -> tuple[str, ...]:
    """The typing channel a user's socket joins besides `hub.operator_channels` (none for a visitor's)."""
    if identity.kind == "visitor" or not identity.user_id:
        return ()
    return (f"typing:{identity.account_id}:{identity.user_id}",)


def _conversation_id(frame: dict[str, Any]) -> str:
    value = frame.get("conversation_id")
    if not isinstance(value, str) or not (ID_SHAPE.fullmatch(value) or KEY_SHAPE.fullmatch(value)):
        raise FrameError(f"{frame.get('type')} needs a conversation_id.", code="invalid_frame")
    return value


def typing_body(frame: dict[str, Any], *, visitor: bool) -> dict[str, Any]:
    """What chat is told of a `typing` frame: `draft` only for a visitor still typing (cut to `MAX_DRAFT`)."""
    typing, draft = frame.get("typing", True), frame.get("draft")
    if not isinstance(typing, bool):
        raise FrameError("typing: `typing` is true or false.", code="invalid_frame")
    if draft is not None and not isinstance(draft, str):
        raise FrameError("typing: `draft` is text.", code="invalid_frame")
    if draft is not None and not visitor:
        raise FrameError("typing: only a visitor's frame has a draft.", code="invalid_frame")
    body: dict[str, Any] = {"typing": typing}
    if draft is not None and typing:
        body["draft"] = draft[:MAX_DRAFT]
    return body


def read_seq(frame: dict[str, Any]) -> int:
    seq = frame.get("seq")
    if type(seq) is not int or not 0 <= seq <= MAX_INT:
        raise FrameError("read needs a seq from 0 to 2^53-1.", code="invalid_frame")
    return seq


async def handle(session: "SocketSession", frame: dict[str, Any]) -> None:
    """A `typing` or `read` frame of the socket (errors raised: the socket answers them as error frames)."""
    conversation_id = _conversation_id(frame)
    identity = session.identity
    state = gateway_state(session.client.websocket)
    params = {"conversation_id": conversation_id}
    if frame["type"] == "typing":
        body = typing_body(frame, visitor=identity.kind == "visitor")
        if "draft" in body:
            site = await state.sites.by_id(identity.site_id or "")
            if site is None or not site.privacy.sneak_peek:
                del body["draft"]  # the site keeps its visitors' drafts to themselves
        response = await state.clients.call("POST", TYPING, identity, json=body, path_params=params)
    else:
        response = await state.clients.call("POST", READ, identity, json={"seq": read_seq(frame)}, path_params=params)
    if response.status_code >= 400:
        raise service_error(response.json(), response.status_code)


async def push_marks(session: "SocketSession", conversation_id: str) -> None:
    """The conversation's read marks, as `conversation.read` frames (the end of a resume)."""
    clients = gateway_state(session.client.websocket).clients
    response = await clients.call("GET", READ, session.identity, path_params={"conversation_id": conversation_id})
    if response.status_code >= 400:
        raise service_error(response.json(), response.status_code)
    for mark in response.json()["marks"]:
        session.client.push({"type": "conversation.read", "conversation_id": conversation_id, **mark})
