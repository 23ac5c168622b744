"""The invitations' life at the edge: offered (an operator's call, or a rule's frame relayed here), shown,
accepted, closed or expired; each step a durable event in the gateway's outbox (`invitation.*`, with the
rule and variant) and a frame for whoever watches it live.

- The visitor's tabs get `invitation` on their channel (`visitor:<id>`); a tab that connects later gets the
  visitor's pending ones (`greet`), so a call reaches a visitor who is between two pages.
- The widget answers on its socket: `invitation.shown`, `invitation.accept`, `invitation.close` (`answer`).
  Accepting starts the conversation (chat, attributed to the invitation, its text as the first message; an
  operator's call is theirs at once) and is answered `invitation.accepted` with the conversation; every tab
  gets `invitation.withdrawn` when it is answered or expires.
- The account's operators get `invitation.state` on `account:<id>` at each step.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from services.common.db import utcnow
from services.common.errors import NotFound
from services.common.events import (
    EventPayload,
    InvitationAccepted,
    InvitationClosed,
    InvitationExpired,
    InvitationShown,
)
from services.common.outbox import add_event
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.gateway import photos
from services.gateway.engage.contract import Invitation, state_frame, withdrawn_frame
from services.gateway.engage.store import PendingInvitations
from services.gateway.hub import Hub, SocketClient
from services.gateway.models import outbox
from services.gateway.proxy import ServiceClients
from services.gateway.socket_frames import FrameError, service_error

log = logging.getLogger("floorwalker.gateway.invitations")
SWEEP_SECONDS = 1.0
START_INVITED = "/internal/v1/conversations/invited"
VISITOR_FRAMES = ("invitation.shown", "invitation.accept", "invitation.close")


class InvitationDesk:
    def __init__(self, runtime: ServiceRuntime, hub: Hub, clients: ServiceClients, store: PendingInvitations) -> None:
        self.runtime = runtime
        self.hub = hub
        self.clients = clients
        self.store = store
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        hub.watch("invitation", self.relayed)
        runtime.bus.on_realtime_gap(self.greet_all)  # after the hub's own listener: `resync` comes first

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        # The event ends the loop even if a library swallowed the cancellation in the middle of a sweep (a
        # hang seen once at shutdown under load: the task stayed "cancelling" while sleeping again).
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.store.close()

    # offered

    async def offer(self, invitation: Invitation) -> None:
        """Keep it for the visitor's answer and put it on their screen (every tab open now; later ones on
        connecting)."""
        await self.store.add(invitation)
        bus = self.runtime.bus
        await bus.publish(f"visitor:{invitation.visitor_id}", invitation.visitor_frame())
        await bus.publish(f"account:{invitation.account_id}", state_frame(invitation, "offered"))

    async def relayed(self, channel: str, frame: dict[str, Any], sockets: set[SocketClient]) -> None:
        """An `invitation` frame on its way to a visitor's sockets here (a rule's, published by the rules
        service): kept, so that the visitor's answer is told with its rule and variant."""
        visitor = next((s.identity for s in sockets if s.identity is not None), None)
        if visitor is None or channel != f"visitor:{visitor.visitor_id}":
            return
        await self._name_operator(visitor.account_id, frame)
        try:
            invitation = Invitation.from_frame(visitor, frame, self.runtime.settings.invitation_ttl_seconds)
        except ValidationError:
            log.warning("an invitation frame on %s is not one; its answers will not be counted", channel)
            return
        await self.store.add(invitation)

    async def _name_operator(self, account_id: str, frame: dict[str, Any]) -> None:
        """A rule's invitation names its operator by id only (`{"id"}`): the bubble gets their name and photo from
        the users here (the gateway owns them), in the frame the sockets get; one not of the account (or the
        database away): none, the bubble without a face."""
        operator = frame.get("operator")
        if not isinstance(operator, dict) or operator.get("name"):
            return
        try:
            user_id, public_url = str(operator.get("id") or ""), self.runtime.settings.public_url
            frame["operator"] = await photos.face(self.runtime.db, account_id, user_id, public_url)
        except Exception:
            log.warning("naming the operator of an invitation failed; shown without one", exc_info=True)
            frame["operator"] = None

    async def greet(self, client: SocketClient, visitor: Identity) -> None:
        """A visitor's socket just opened: their invitations still waiting for an answer."""
        for invitation in await self.store.pending(visitor.visitor_id or ""):
            if invitation.account_id == visitor.account_id:
                client.push(invitation.visitor_frame())

    async def greet_all(self) -> None:
        """The realtime subscriptions were lost and are back (Redis restarted): every invitation published
        meanwhile is gone with them, so every visitor socket here gets its pending ones again (the widget
        drops one it has by its id)."""
        for channel, members in list(self.hub.channels.items()):
            if not channel.startswith("visitor:"):
                continue
            for client in list(members):
                if client.identity is not None and client.identity.visitor_id:
                    try:
                        await self.greet(client, client.identity)
                    except Exception:  # the store away too: the next gap, or the next page, tells them
                        log.warning("resending invitations on %s failed", channel, exc_info=True)

    # answered

    async def answer(self, visitor: Identity, frame: dict[str, Any], client: SocketClient) -> None:
        """A visitor's `invitation.shown`, `invitation.accept` or `invitation.close` frame."""
        invitation_id = frame.get("invitation_id")
        if not isinstance(invitation_id, str) or not invitation_id:
            raise FrameError(f"{frame.get('type')} needs an invitation_id.", code="invalid_frame")
        kind = frame["type"]
        if kind == "invitation.shown":
            await self._shown(visitor, invitation_id)
        elif kind == "invitation.accept":
            await self._accept(visitor, invitation_id, client)
        else:
            await self._close(visitor, invitation_id)

    async def _shown(self, visitor: Identity, invitation_id: str) -> None:
        invitation = await self.store.mark_shown(visitor.visitor_id or "", invitation_id)
        if invitation is None or invitation.account_id != visitor.account_id:
            return  # shown before (another tab, another page), or answered already: nothing new
        await self._record(invitation, [InvitationShown(**_about(invitation))])
        await self._tell_operators(invitation, "shown")

    async def _take(self, visitor: Identity, invitation_id: str) -> tuple[Invitation, bool]:
        taken = await self.store.take(visitor.visitor_id or "", invitation_id)
        if taken is None or taken[0].account_id != visitor.account_id:
            raise NotFound("This invitation is no longer open.", code="invitation_not_found")
        return taken

    async def _accept(self, visitor: Identity, invitation_id: str, client: SocketClient) -> None:
        invitation, shown = await self._take(visitor, invitation_id)
        try:
            conversation = await self._start_conversation(visitor, invitation)
        except BaseException:
            await self.store.add(invitation)  # not answered after all: it may be accepted again
            raise
        accepted = InvitationAccepted(**_about(invitation), conversation_id=conversation["id"])
        await self._record(invitation, [*_shown_first(invitation, shown), accepted])
        client.push({"type": "invitation.accepted", "invitation_id": invitation_id, "conversation": conversation})
        await self._withdraw(invitation, "accepted", conversation["id"])

    async def _close(self, visitor: Identity, invitation_id: str) -> None:
        try:
            invitation, shown = await self._take(visitor, invitation_id)
        except NotFound:
            return  # closed in another tab, or expired: the same outcome
        await self._record(invitation, [*_shown_first(invitation, shown), InvitationClosed(**_about(invitation))])
        await self._withdraw(invitation, "closed")

    async def _start_conversation(self, visitor: Identity, invitation: Invitation) -> dict[str, Any]:
        """The conversation the invitation starts (chat: the visitor's open one if there is one)."""
        operator = invitation.operator
        body = {
            "invitation_id": invitation.invitation_id,
            "rule_id": invitation.rule_id,
            "variant": invitation.variant,
            "text": invitation.text,
            "operator": {"id": operator.id, "name": operator.name} if operator else None,
            "assign": invitation.is_call,
            "queue_id": invitation.queue_id,
        }
        response = await self.clients.call("POST", START_INVITED, visitor, json=body)
        payload: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise service_error(payload, response.status_code)
        return payload

    # expired

    async def _sweep(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SWEEP_SECONDS)
            if self._stopping.is_set():
                return
            try:
                await self.expire_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("expiring invitations failed; trying again", exc_info=True)

    async def expire_due(self) -> int:
        """Expire the invitations whose time is up (each by one replica); returns how many."""
        due = await self.store.due()
        for invitation, shown in due:
            await self._record(invitation, [InvitationExpired(**_about(invitation), shown=shown)])
            await self._withdraw(invitation, "expired")
        return len(due)

    # told

    async def _record(self, invitation: Invitation, payloads: Sequence[EventPayload]) -> None:
        """The durable events, through the gateway's outbox (published after the commit)."""
        async with self.runtime.db.transaction() as conn:
            for payload in payloads:
                await add_event(conn, outbox, payload, invitation.account_id)
        self.runtime.after_commit()

    async def _withdraw(self, invitation: Invitation, reason: str, conversation_id: str | None = None) -> None:
        await self.runtime.bus.publish(
            f"visitor:{invitation.visitor_id}", withdrawn_frame(invitation.invitation_id, reason)
        )
        await self._tell_operators(invitation, reason, conversation_id)

    async def _tell_operators(self, invitation: Invitation, state: str, conversation_id: str | None = None) -> None:
        with contextlib.suppress(Exception):  # live news only: the events are what counts
            frame = state_frame(invitation, state, conversation_id)
            await self.runtime.bus.publish(f"account:{invitation.account_id}", frame)


def _about(invitation: Invitation) -> dict[str, Any]:
    return {
        "invitation_id": invitation.invitation_id,
        "site_id": invitation.site_id,
        "visitor_id": invitation.visitor_id,
        "rule_id": invitation.rule_id,
        "variant": invitation.variant,
        "operator_id": invitation.operator.id if invitation.operator else None,
        "at": utcnow(),
    }


def _shown_first(invitation: Invitation, shown: bool) -> list[EventPayload]:
    """An answer is proof it was shown: its `invitation.shown` first if the widget's report was lost."""
    return [] if shown else [InvitationShown(**_about(invitation))]
