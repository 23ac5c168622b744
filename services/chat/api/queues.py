"""Departments (`/api/v1/queues`) and presence (`/api/v1/me/presence`, `/api/v1/presence`, `/api/v1/operators`)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.chat import presence, queues
from services.chat.api.queue_schemas import (
    AccountCapacity,
    Colleagues,
    PresenceList,
    PresenceOut,
    QueueAvailabilities,
    QueueIn,
    QueueList,
    QueueOut,
    QueueSummaries,
    SetCapacity,
    SetLanguages,
    SetPresence,
)
from services.chat.api.routes import Frames
from services.chat.routing import waiting as waiting_api
from services.common.identity import Operator, RoleRequired, Visitor
from services.common.service import Runtime
from services.common.tokens import Identity
from services.common.validation import PathKey

Supervisor = Annotated[Identity, Depends(RoleRequired("supervisor", "admin"))]
router = APIRouter(tags=["queues"])


def _system_clock() -> datetime:
    return datetime.now(UTC)


async def clock(request: Request) -> datetime:
    """Now, from the app's clock (`app.state.clock`; tests inject one)."""
    now: Callable[[], datetime] = getattr(request.app.state, "clock", _system_clock)
    return now()


Now = Annotated[datetime, Depends(clock)]


@router.get("/api/v1/queues", response_model=QueueList)
async def list_queues(caller: Operator, runtime: Runtime, now: Now) -> QueueList:
    """The account's departments, by queue priority, each with its members and whether it is open now."""
    return QueueList(queues=await queues.list_queues(runtime, caller, now))


@router.post("/api/v1/queues", response_model=QueueOut, status_code=201)
async def create_queue(body: QueueIn, caller: Supervisor, runtime: Runtime, frames: Frames) -> QueueOut:
    """Supervisors and admins: a new department."""
    return await queues.create_queue(runtime, frames, caller, body)


@router.get("/api/v1/queues/summary", response_model=QueueSummaries)
async def queue_summaries(caller: Operator, runtime: Runtime, now: Now) -> QueueSummaries:
    """Every queue of the account with what waits in it and who can answer (consoles; live: `queue.summary`)."""
    return QueueSummaries.model_validate({"queues": await waiting_api.summaries(runtime, caller, now)})


@router.get("/api/v1/queues/availability", response_model=QueueAvailabilities)
async def queue_availability(visitor: Visitor, runtime: Runtime, now: Now) -> QueueAvailabilities:
    """Visitors: the account's queues (topics), each online or not now, with its opening hours."""
    return QueueAvailabilities.model_validate({"queues": await waiting_api.availability(runtime, visitor, now)})


@router.get("/api/v1/queues/{queue_id}", response_model=QueueOut)
async def get_queue(queue_id: PathKey, caller: Operator, runtime: Runtime, now: Now) -> QueueOut:
    return await queues.get_queue(runtime, caller, queue_id, now)


@router.put("/api/v1/queues/{queue_id}", response_model=QueueOut)
async def replace_queue(
    queue_id: PathKey, body: QueueIn, caller: Supervisor, runtime: Runtime, frames: Frames
) -> QueueOut:
    """Supervisors and admins: replace the department, its members included (waiting chats are offered to new
    members at once)."""
    return await queues.replace_queue(runtime, frames, caller, queue_id, body)


@router.delete("/api/v1/queues/{queue_id}", status_code=204)
async def delete_queue(queue_id: PathKey, caller: Supervisor, runtime: Runtime, frames: Frames) -> Response:
    """Supervisors and admins: delete the department (queues failing over to it keep no failover; its waiting
    chats wait for any operator, unrouted)."""
    await queues.delete_queue(runtime, frames, caller, queue_id)
    return Response(status_code=204)


@router.get("/api/v1/me/presence", response_model=PresenceOut)
async def my_presence(caller: Operator, runtime: Runtime) -> PresenceOut:
    """The caller's presence (their console calls it when it starts: chat then knows them as an operator)."""
    return await presence.mine(runtime, caller)


@router.put("/api/v1/me/presence", response_model=PresenceOut)
async def set_my_presence(body: SetPresence, caller: Operator, runtime: Runtime, frames: Frames) -> PresenceOut:
    """Set the caller's status: online, away, break (no chats), phone (no new chats), offline."""
    return await presence.set_mine(runtime, frames, caller, body.status)


@router.get("/api/v1/presence", response_model=PresenceList)
async def list_presence(caller: Supervisor, runtime: Runtime) -> PresenceList:
    """Supervisors and admins: every operator's status, capacity and active chats."""
    found, default = await presence.everyone(runtime, caller)
    return PresenceList(operators=found, default_max_chats=default)


@router.get("/api/v1/presence/colleagues", response_model=Colleagues)
async def list_colleagues(caller: Operator, runtime: Runtime) -> Colleagues:
    """Any operator: the account's operators as colleagues see them (to transfer or invite to): name, status,
    active chats, capacity and queues; no contact details."""
    return Colleagues(operators=await presence.colleagues(runtime, caller))


@router.put("/api/v1/presence/settings", response_model=AccountCapacity)
async def set_account_capacity(
    body: AccountCapacity, caller: Supervisor, runtime: Runtime, frames: Frames
) -> AccountCapacity:
    """Supervisors and admins: the account's default maximum of concurrent chats per operator."""
    return AccountCapacity(
        default_max_chats=await presence.set_default_capacity(runtime, frames, caller, body.default_max_chats)
    )


@router.put("/api/v1/operators/{user_id}/presence", response_model=PresenceOut)
async def set_operator_presence(
    user_id: PathKey, body: SetPresence, caller: Supervisor, runtime: Runtime, frames: Frames
) -> PresenceOut:
    """Supervisors and admins (and telephony integrations with their token): set an operator's status."""
    return await presence.set_status(runtime, frames, caller, user_id, body.status)


@router.put("/api/v1/operators/{user_id}/capacity", response_model=PresenceOut)
async def set_operator_capacity(
    user_id: PathKey, body: SetCapacity, caller: Supervisor, runtime: Runtime, frames: Frames
) -> PresenceOut:
    """Supervisors and admins: an operator's own maximum of concurrent chats (null: the account's default)."""
    return await presence.set_capacity(runtime, frames, caller, user_id, body.max_chats)


@router.put("/api/v1/operators/{user_id}/languages", response_model=PresenceOut)
async def set_operator_languages(
    user_id: PathKey, body: SetLanguages, caller: Supervisor, runtime: Runtime
) -> PresenceOut:
    """Supervisors and admins: the languages an operator speaks (a chat in one of them goes to them first)."""
    return await presence.set_languages(runtime, caller, user_id, body.languages)


internal = APIRouter(prefix="/internal/v1/presence", include_in_schema=False)


@internal.post("/heartbeat", status_code=204)
async def heartbeat(caller: Operator, runtime: Runtime) -> Response:
    """A gateway holds a console socket of the caller: their console is there (`presence.sweep`)."""
    await presence.heartbeat(runtime, [caller])
    return Response(status_code=204)
