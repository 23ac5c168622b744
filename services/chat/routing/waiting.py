"""What waiting looks like (ROUTE-4): each queue's summary for the consoles, each waiting chat's position and
expected wait for its visitor (read only; callers give the instant, tests inject it).

- A chat's *position* is its place among the waiting chats of its queue, oldest first (by when it entered the
  queue: its start, or its failover), 1 first; chats offered to someone count (they are not answered yet).
- *Expected wait*: a chat offered to someone now waits about nothing. Else, with p its place among the chats of
  its queue nobody is offered, `free` free places among the queue's online members and `slots` places in all (the
  sum of their capacities): p <= free waits about nothing (it is about to be offered); beyond,
  `ceil((p - free) / slots)` rounds of the queue's recent handling time each. The handling time is the mean
  time from accept to close of the queue's most recent closed chats (up to `SAMPLE` each, among the account's
  `RECENT` last closed ones), else the account's, else `DEFAULT_HANDLING_SECONDS`. Unknown (null) when the queue
  is closed (hours) or none of its members is online.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.hours import OpeningHours, is_open
from services.chat.models import conversations, operators, queue_members, queues
from services.chat.routing.capacity import default_max_chats, loads
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

DEFAULT_HANDLING_SECONDS = 180.0
RECENT = 200  # closed chats of the account looked at for handling times
SAMPLE = 20  # per queue
MAX_WAITING = 2000  # waiting chats of an account looked at


@dataclass(frozen=True)
class QueueState:
    queue_id: str
    name: str
    hours: OpeningHours | None
    open_now: bool
    waiting: int
    longest_wait_seconds: int
    online_operators: int
    free_slots: int
    slots: int
    handling_seconds: float

    def summary(self) -> dict[str, object]:
        """The console's shape (`GET /api/v1/queues/summary`, `queue.summary` frames)."""
        return {
            "queue_id": self.queue_id,
            "name": self.name,
            "open_now": self.open_now,
            "waiting": self.waiting,
            "longest_wait_seconds": self.longest_wait_seconds,
            "online_operators": self.online_operators,
            "free_slots": self.free_slots,
        }

    @property
    def online(self) -> bool:
        """Someone can answer now: within hours and a member online."""
        return self.open_now and self.online_operators > 0


@dataclass(frozen=True)
class Position:
    conversation_id: str
    visitor_id: str | None
    queue_id: str
    position: int
    expected_wait_seconds: int | None


@dataclass(frozen=True)
class Waiting:
    queues: list[QueueState]
    positions: dict[str, Position]  # by conversation id


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def expected_wait(position: int, state: QueueState) -> int | None:
    if not state.online:
        return None
    if position <= state.free_slots:
        return 0
    rounds = math.ceil((position - state.free_slots) / max(1, state.slots))
    return round(rounds * state.handling_seconds)


async def _handling_times(conn: AsyncConnection, account_id: str) -> tuple[dict[str, float], float]:
    query = (
        select(conversations.c.queue_id, conversations.c.accepted_at, conversations.c.closed_at)
        .where(
            conversations.c.account_id == account_id,
            conversations.c.state == "closed",
            conversations.c.accepted_at.is_not(None),
            conversations.c.closed_at.is_not(None),
        )
        .order_by(conversations.c.created_at.desc())
        .limit(RECENT)
    )
    per_queue: dict[str, list[float]] = {}
    every: list[float] = []
    for queue_id, accepted_at, closed_at in await conn.execute(query):
        seconds = max(0.0, (_aware(closed_at) - _aware(accepted_at)).total_seconds())
        every.append(seconds)
        if queue_id is not None and len(per_queue.setdefault(queue_id, [])) < SAMPLE:
            per_queue[queue_id].append(seconds)
    overall = sum(every) / len(every) if every else DEFAULT_HANDLING_SECONDS
    return {q: sum(v) / len(v) for q, v in per_queue.items()}, overall


async def _online_members(
    conn: AsyncConnection, account_id: str
) -> tuple[dict[str, list[str]], dict[str, int], dict[str, int]]:
    """Each queue's online members, and each online operator's capacity and load."""
    default = await default_max_chats(conn, account_id)
    query = select(operators.c.user_id, operators.c.max_chats).where(
        operators.c.account_id == account_id, operators.c.status == "online"
    )
    capacity = {user_id: int(max_chats or default) for user_id, max_chats in await conn.execute(query)}
    members: dict[str, list[str]] = {}
    memberships = select(queue_members.c.queue_id, queue_members.c.user_id).where(
        queue_members.c.account_id == account_id
    )
    for queue_id, user_id in await conn.execute(memberships):
        if user_id in capacity:
            members.setdefault(queue_id, []).append(user_id)
    held = await loads(conn, account_id, list(capacity)) if capacity else {}
    return members, capacity, held


async def _waiting_rows(conn: AsyncConnection, account_id: str) -> Sequence[RowMapping]:
    entered = func.coalesce(conversations.c.queued_at, conversations.c.created_at)
    query = (
        select(
            conversations.c.id,
            conversations.c.visitor_id,
            conversations.c.queue_id,
            conversations.c.offered_user_id,
            entered.label("entered"),
        )
        .where(
            conversations.c.account_id == account_id,
            conversations.c.state == "waiting",
            conversations.c.queue_id.is_not(None),
        )
        .order_by(entered, conversations.c.id)
        .limit(MAX_WAITING)
    )
    return (await conn.execute(query)).mappings().all()


async def waiting_of(conn: AsyncConnection, account_id: str, now: datetime) -> Waiting:
    """Every queue of the account with its summary, and every waiting chat's position and expected wait."""
    rows = (
        await conn.execute(
            select(queues.c.id, queues.c.name, queues.c.hours)
            .where(queues.c.account_id == account_id)
            .order_by(queues.c.priority, queues.c.name)
        )
    ).all()
    if not rows:
        return Waiting([], {})
    members, capacity, held = await _online_members(conn, account_id)
    handling, overall = await _handling_times(conn, account_id)
    in_queue: dict[str, list[RowMapping]] = {}
    for row in await _waiting_rows(conn, account_id):
        in_queue.setdefault(row["queue_id"], []).append(row)
    states: list[QueueState] = []
    positions: dict[str, Position] = {}
    for queue_id, name, hours_json in rows:
        hours = OpeningHours.model_validate(hours_json) if hours_json is not None else None
        online = members.get(queue_id, [])
        waiting = in_queue.get(queue_id, [])
        oldest = int((now - _aware(waiting[0]["entered"])).total_seconds()) if waiting else 0
        state = QueueState(
            queue_id=queue_id,
            name=name,
            hours=hours,
            open_now=is_open(hours, now),
            waiting=len(waiting),
            longest_wait_seconds=max(0, oldest),
            online_operators=len(online),
            free_slots=sum(max(0, capacity[u] - held.get(u, 0)) for u in online),
            slots=sum(capacity[u] for u in online),
            handling_seconds=handling.get(queue_id, overall),
        )
        states.append(state)
        unoffered = 0
        for index, row in enumerate(waiting, start=1):
            if row["offered_user_id"] is None:
                unoffered += 1
                expected = expected_wait(unoffered, state)
            else:
                expected = 0 if state.online else None  # offered to someone now
            positions[row["id"]] = Position(row["id"], row["visitor_id"], queue_id, index, expected)
    return Waiting(states, positions)


def summary_rows(states: Iterable[QueueState]) -> list[dict[str, object]]:
    return [state.summary() for state in states]


async def summaries(runtime: ServiceRuntime, caller: Identity, now: datetime) -> list[dict[str, object]]:
    """`GET /api/v1/queues/summary`: the caller's account's queues, by queue priority."""
    async with runtime.db.reading() as conn:
        return summary_rows((await waiting_of(conn, caller.account_id, now)).queues)


async def availability(runtime: ServiceRuntime, visitor: Identity, now: datetime) -> list[dict[str, object]]:
    """`GET /api/v1/queues/availability`: the visitor's account's queues, each online or not, with its hours."""
    async with runtime.db.reading() as conn:
        states = (await waiting_of(conn, visitor.account_id, now)).queues
    return [
        {
            "queue_id": s.queue_id,
            "name": s.name,
            "online": s.online,
            "open_now": s.open_now,
            "hours": s.hours.model_dump(mode="json") if s.hours is not None else None,
        }
        for s in states
    ]
