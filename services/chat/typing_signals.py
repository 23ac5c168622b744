"""Typing indicators and sneak-peek (CHAT-4, EMB-8): relayed at once to the other side, never stored.

The gateway's sockets forward each (throttled) typing signal here; chat knows who is in the conversation:
- a visitor typing, with their draft text when the site allows sneak-peek: to the users in the conversation only,
  the assigned operator and those invited or watching, each on their `typing:<account>:<user>` channel (every
  user's socket joins its own: `services/gateway/typing_frames.py`). Not to the account's other managers, nor to
  operators it is offered to or who merely may take it: a draft is what the visitor has not chosen to send (SEC-2);
- an operator typing (the assigned one or one invited; watchers are silent): to the visitor(s), never a draft.
The frame is `conversation.typing` `{conversation_id, from: "visitor"|"operator", typing, ...}`; clients show it for a
few seconds and drop it when a new message of that side arrives. Published directly (`PendingFrames.send`):
no pending row, nothing republished, a lost one is simply not shown.

`relay` answers the audience it used (the channels and the frame without `typing` and `draft`): the gateway
publishes the sender's next signals in that conversation to it itself for up to a second, unless a
`conversation.*` frame of the conversation says its people changed first (`services/gateway/typing_frames.py`).
"""

from typing import Any

from services.chat import audience
from services.chat import repository as repo
from services.chat.realtime import PendingFrames
from services.common.errors import NotFound
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MAX_DRAFT = 500  # characters of a draft relayed (the gateway cuts it there too)


def typing_channel(account_id: str, user_id: str) -> str:
    """The channel of the typing signals (and sneak-peek drafts) one user's consoles get."""
    return f"typing:{account_id}:{user_id}"


def _gone() -> NotFound:
    return NotFound("No such conversation.", code="conversation_not_found")


async def relay(
    runtime: ServiceRuntime,
    frames: PendingFrames,
    identity: Identity,
    conversation_id: str,
    typing: bool,
    draft: str | None,
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Publish the caller's typing signal to the other side of the conversation, and answer to whom (its channels,
    the frame's fixed fields); 404 when the caller is not in it (or it is closed)."""
    async with runtime.db.reading() as conn:
        row = await repo.conversation(conn, identity.account_id, conversation_id)
        if row is None or row["state"] == "closed":
            raise _gone()
        members = await audience.members_of(conn, row["id"], row["kind"] or "direct")
        if identity.is_user:
            channels, body = _from_operator(row, members, identity)
        else:
            if not await audience.may_see(conn, identity, row):
                raise _gone()
            channels, body = _from_visitor(row, members, identity, draft if typing else None)
    to = tuple(sorted(channels))
    fixed = {key: value for key, value in body.items() if key != "draft"}
    body["typing"] = typing
    if to:
        await frames.send(to, body)
    return to, fixed


def _from_operator(row: Any, members: audience.Members, identity: Identity) -> tuple[set[str], dict[str, Any]]:
    user_id = identity.user_id
    if user_id == row["assigned_user_id"] and row["state"] == "active":
        name = row["assigned_user_name"]
    elif members.role_of(user_id) == "invited":
        name = next((p["name"] for p in members.participants if p["user_id"] == user_id), None)
    else:  # watching, offered, or not in it: the visitor is not told
        raise _gone()
    body = {
        "type": "conversation.typing",
        "conversation_id": row["id"],
        "from": "operator",
        "user_id": user_id,
        "name": name or identity.name,
    }
    return audience.visitor_channels(row, members), body


def _from_visitor(
    row: Any, members: audience.Members, identity: Identity, draft: str | None
) -> tuple[set[str], dict[str, Any]]:
    account_id = row["account_id"]
    users = members.user_ids()  # invited and watching
    if row["assigned_user_id"] and row["state"] == "active":
        users.add(row["assigned_user_id"])
    channels = {typing_channel(account_id, user) for user in users}
    body: dict[str, Any] = {
        "type": "conversation.typing",
        "conversation_id": row["id"],
        "from": "visitor",
        "visitor_id": identity.visitor_id,
    }
    if draft is not None:
        body["draft"] = draft[:MAX_DRAFT]
    return channels, body
