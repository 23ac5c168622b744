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

A sender's `typing` frame goes to chat only when the gateway holds no audience for it (the first of a conversation,
then about one a second, while CHAT-4's sneak-peek sends several a second): chat relays it and answers its audience (the channels and the frame's fixed fields), which
`TypingAudiences` keeps for `AUDIENCE_SECONDS`; the sender's next frames are published by the gateway itself on the
same bus, with the typing flag and the draft (cut, and dropped for a site with sneak-peek off, as above) of each.
What chat refused (not in the conversation, closed, a watcher typing) is never kept: asked again each time. A
change of who is in a conversation drops its audiences at once: the gateway listens on `account:<account>` of each
account it keeps audiences of, where chat publishes every `conversation.*` frame (an update, a transfer, a close,
an invitation, a watcher, a removal), and forgets them all when the bus reports a gap. Should that frame be late or
lost, the change reaches the typing frames at most `AUDIENCE_SECONDS` late (docs/architecture.md).
"""

import asyncio
import contextlib
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.common.bus import EventBus
from services.common.tokens import Identity
from services.common.validation import ID_SHAPE, KEY_SHAPE, MAX_INT
from services.gateway.socket_frames import FrameError, service_error
from services.gateway.state import gateway_state

if TYPE_CHECKING:
    from services.gateway.hub import Hub
    from services.gateway.sockets import SocketSession

log = logging.getLogger("floorwalker.gateway.typing")

TYPING_FRAMES = frozenset({"typing", "read"})
MAX_DRAFT = 500
TYPING = "/internal/v1/conversations/{conversation_id}/typing"
READ = "/internal/v1/conversations/{conversation_id}/read"
AUDIENCE_SECONDS = 1.0  # how long a typing audience chat answered is used (the most a change reaches it late)
ACCOUNT_IDLE_SECONDS = 60.0  # an account with no typing for this long: its channel is left
PURGE_SECONDS = 30.0
CHANGES_KEPT_SECONDS = 30.0  # a conversation's last change is remembered this long (an answer slower: not kept)
PUBLISH_TIMEOUT = 1.0
# `conversation.*` frames that change nobody's place in a conversation (every other one drops its audiences).
KEEPS_AUDIENCE = frozenset({"conversation.typing", "conversation.read", "conversation.position"})


def typing_channels(identity: Identity) -> tuple[str, ...]:
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
        audiences = typing_audiences(state.hub)
        key = audience_key(identity, conversation_id)
        known = audiences.get(key)
        if known is not None:
            await audiences.publish(known, body)
            return
        asked_at = await audiences.watch(identity.account_id)
        response = await state.clients.call("POST", TYPING, identity, json=body, path_params=params)
        if response.status_code < 400:
            audiences.keep(key, asked_at, response.json())
    else:
        response = await state.clients.call("POST", READ, identity, json={"seq": read_seq(frame)}, path_params=params)
    if response.status_code >= 400:
        raise service_error(response.json(), response.status_code)


AudienceKey = tuple[str, str, str]  # account, conversation, sender ("user:<id>" or "visitor:<id>")


def audience_key(identity: Identity, conversation_id: str) -> AudienceKey:
    sender = f"user:{identity.user_id}" if identity.is_user else f"visitor:{identity.visitor_id}"
    return (identity.account_id, conversation_id, sender)


@dataclass(slots=True)
class Audience:
    """Who a sender's typing frames in a conversation go to, as chat answered it, and until when it is used."""

    channels: tuple[str, ...]
    frame: dict[str, Any]  # `conversation.typing` without `typing` and `draft`
    until: float


@dataclass(slots=True)
class AccountWatch:
    """An account whose `account:` channel the gateway listens on (for the changes that drop audiences)."""

    subscribed: bool = False
    last_used: float = field(default_factory=time.monotonic)
    # When each conversation last changed ("": all of them): an answer asked for before that is not kept.
    changed_at: dict[str, float] = field(default_factory=dict)

    def changed_since(self, conversation_id: str, asked_at: float) -> bool:
        return max(self.changed_at.get(conversation_id, -1.0), self.changed_at.get("", -1.0)) >= asked_at


class TypingAudiences:
    """The typing audiences of one gateway process (one per hub, `typing_audiences`)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._audiences: dict[tuple[str, str], dict[str, Audience]] = {}  # (account, conversation) -> by sender
        self._accounts: dict[str, AccountWatch] = {}
        self._purge: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        bus.on_realtime_gap(self._gap)

    def get(self, key: AudienceKey) -> Audience | None:
        account_id, conversation_id, sender = key
        audience = self._audiences.get((account_id, conversation_id), {}).get(sender)
        if audience is None:
            return None
        now, watch = time.monotonic(), self._accounts.get(account_id)
        if now >= audience.until or watch is None or not watch.subscribed:
            self._drop(account_id, conversation_id, sender)
            return None
        watch.last_used = now
        return audience

    async def watch(self, account_id: str) -> float | None:
        """Listen on the account's channel (from the first typing frame of the account on); when an answer asked
        for now is asked for (to be kept, its conversation must not change after), or None (not listening yet:
        nothing is kept)."""
        watch = self._accounts.get(account_id)
        if watch is None:
            watch = self._accounts[account_id] = AccountWatch()
            try:
                await self.bus.subscribe(f"account:{account_id}", self._changed)
            except Exception:
                log.warning("typing: could not listen on account %s; every typing frame goes to chat", account_id)
                self._accounts.pop(account_id, None)
                return None
            watch.subscribed = True
            self._arm()
        watch.last_used = time.monotonic()
        return watch.last_used if watch.subscribed else None

    def keep(self, key: AudienceKey, asked_at: float | None, answer: Any) -> None:
        """Keep chat's answer for `AUDIENCE_SECONDS`, unless the conversation changed since it was asked for."""
        account_id, conversation_id, sender = key
        watch, now = self._accounts.get(account_id), time.monotonic()
        if asked_at is None or watch is None or now - asked_at > CHANGES_KEPT_SECONDS or not isinstance(answer, dict):
            return
        if watch.changed_since(conversation_id, asked_at):
            return
        channels, frame = answer.get("channels"), answer.get("frame")
        if (
            not isinstance(channels, list)
            or not isinstance(frame, dict)
            or frame.get("conversation_id") != conversation_id
        ):
            return  # (the id as the conversation's frames name it: else a change of it would not find this one)
        until = now + AUDIENCE_SECONDS
        self._audiences.setdefault((account_id, conversation_id), {})[sender] = Audience(tuple(channels), frame, until)

    async def publish(self, audience: Audience, body: dict[str, Any]) -> None:
        """The sender's typing frame to the audience; a lost one is simply not shown (as chat's)."""
        if not audience.channels:
            return
        if audience.frame.get("from") != "visitor":
            body = {k: v for k, v in body.items() if k != "draft"}  # drafts are the visitor's only (SEC-2)
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                await self.bus.publish_many(audience.channels, {**audience.frame, **body})
        except Exception:
            log.warning("typing: publish on %s failed", audience.channels, exc_info=True)

    async def _changed(self, channel: str, frame: dict[str, Any]) -> None:
        """A frame of a watched account: a `conversation.*` one drops the conversation's audiences."""
        kind = frame.get("type")
        if not isinstance(kind, str) or not kind.startswith("conversation.") or kind in KEEPS_AUDIENCE:
            return
        account_id = channel.removeprefix("account:")
        watch = self._accounts.get(account_id)
        if watch is None:
            return
        conversation = frame.get("conversation")
        conversation_id = frame.get("conversation_id")
        if isinstance(conversation, dict):
            conversation_id = conversation.get("id", conversation_id)
        if isinstance(conversation_id, str) and conversation_id:
            watch.changed_at[conversation_id] = time.monotonic()
            self._audiences.pop((account_id, conversation_id), None)
        else:  # about which conversation, it does not say: all of the account's
            watch.changed_at[""] = time.monotonic()
            for key in [key for key in self._audiences if key[0] == account_id]:
                del self._audiences[key]

    async def _gap(self) -> None:
        """The bus lost frames (Redis came back): changes may have been missed."""
        for watch in self._accounts.values():
            watch.changed_at[""] = time.monotonic()
        self._audiences.clear()

    def _drop(self, account_id: str, conversation_id: str, sender: str) -> None:
        senders = self._audiences.get((account_id, conversation_id))
        if senders is not None:
            senders.pop(sender, None)
            if not senders:
                del self._audiences[(account_id, conversation_id)]

    def _arm(self) -> None:
        if self._purge is None:
            self._purge = asyncio.get_running_loop().call_later(PURGE_SECONDS, self._purge_now)

    def _purge_now(self) -> None:
        """Drop the audiences past their time and leave the channels of the accounts that stopped typing."""
        self._purge = None
        now = time.monotonic()
        for key, senders in list(self._audiences.items()):
            for sender, audience in list(senders.items()):
                if now >= audience.until:
                    self._drop(key[0], key[1], sender)
        for watch in self._accounts.values():
            watch.changed_at = {c: at for c, at in watch.changed_at.items() if now - at <= CHANGES_KEPT_SECONDS}
        idle = [a for a, w in self._accounts.items() if w.subscribed and now - w.last_used > ACCOUNT_IDLE_SECONDS]
        for account_id in idle:
            del self._accounts[account_id]
            task = asyncio.create_task(self._leave(account_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if self._accounts:
            self._arm()

    async def _leave(self, account_id: str) -> None:
        with contextlib.suppress(Exception):
            await self.bus.unsubscribe(f"account:{account_id}", self._changed)


_by_hub: "weakref.WeakKeyDictionary[Hub, TypingAudiences]" = weakref.WeakKeyDictionary()


def typing_audiences(hub: "Hub") -> TypingAudiences:
    """The gateway process's typing audiences (made with its hub's first typing frame)."""
    audiences = _by_hub.get(hub)
    if audiences is None:
        audiences = _by_hub[hub] = TypingAudiences(hub.bus)
    return audiences


async def push_marks(session: "SocketSession", conversation_id: str) -> None:
    """The conversation's read marks, as `conversation.read` frames (the end of a resume)."""
    clients = gateway_state(session.client.websocket).clients
    response = await clients.call("GET", READ, session.identity, path_params={"conversation_id": conversation_id})
    if response.status_code >= 400:
        raise service_error(response.json(), response.status_code)
    for mark in response.json()["marks"]:
        session.client.push({"type": "conversation.read", "conversation_id": conversation_id, **mark})
