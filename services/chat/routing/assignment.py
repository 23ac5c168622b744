"""Offer every waiting chat of an account that someone can take, under the account's routing lock.

`offer_waiting` runs inside the caller's transaction, after `capacity.lock_account`: it reads the queues, the
online operators with room (capacity minus load, offers included), and the waiting chats nobody is offered,
longest waiting first within the queue priority order, and offers each to the operator its queue's strategy
chooses. One decision at a time per account (the lock), so no chat is offered twice and no operator gets more
than their capacity, with any number of chat replicas. Chats of a `manual` queue are never offered, nor those of a
queue outside its opening hours (they wait, and fail over after its `max_wait_seconds` if it has a failover; the
routing sweep offers them once it opens), nor a chat to an operator who declined it. A chat of an
`external_webhook` queue is offered to the operator its router named (`hints`, asked outside any transaction:
`offers.route_by_webhook`); while it is being asked (`webhook_grace` after it started) it is left alone, and
once asked, or later, a router that failed or named someone unable to take it means least busy.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import realtime
from services.chat.api.schemas import ConversationOut
from services.chat.hours import OpeningHours, is_open
from services.chat.models import conversations, operators, queue_members, queues
from services.chat.routing.capacity import loads
from services.chat.routing.strategies import Candidate, choose

BATCH = 500  # waiting chats considered per call (the oldest first)


@dataclass(frozen=True)
class Offer:
    conversation: ConversationOut
    user_id: str
    frame: realtime.Frame


@dataclass
class _Operator:
    user_id: str
    free: int
    load: int
    last_offered_at: datetime | None


async def _queues(conn: AsyncConnection, account_id: str) -> dict[str, RowMapping]:
    query = select(queues.c.id, queues.c.priority, queues.c.strategy, queues.c.hours).where(
        queues.c.account_id == account_id
    )
    return {row["id"]: row for row in (await conn.execute(query)).mappings()}


async def _unoffered(conn: AsyncConnection, account_id: str, routed: Sequence[str]) -> list[RowMapping]:
    query = (
        select(conversations)
        .where(
            conversations.c.account_id == account_id,
            conversations.c.state == "waiting",
            conversations.c.offered_user_id.is_(None),
            conversations.c.queue_id.in_(routed),
        )
        .order_by(conversations.c.created_at, conversations.c.id)
        .limit(BATCH)
    )
    return list((await conn.execute(query)).mappings())


async def _available(conn: AsyncConnection, account_id: str, default_max: int) -> dict[str, _Operator]:
    """Online operators with room for one more chat."""
    query = select(operators.c.user_id, operators.c.max_chats, operators.c.last_offered_at).where(
        operators.c.account_id == account_id, operators.c.status == "online"
    )
    online = list(await conn.execute(query))
    if not online:
        return {}
    load = await loads(conn, account_id)
    found: dict[str, _Operator] = {}
    for user_id, max_chats, last_offered_at in online:
        held = load.get(user_id, 0)
        free = (max_chats or default_max) - held
        if free > 0:
            found[user_id] = _Operator(user_id, free, held, last_offered_at)
    return found


async def candidates_of(
    conn: AsyncConnection, account_id: str, queue_id: str, default_max: int
) -> list[dict[str, object]]:
    """The members of a queue online with room now, for its external router."""
    available = await _available(conn, account_id, default_max)
    members = (await _members(conn, account_id)).get(queue_id, {})
    return [
        {"user_id": u, "load": available[u].load, "max_chats": available[u].load + available[u].free, "priority": p}
        for u, p in sorted(members.items(), key=lambda item: (item[1], item[0]))
        if u in available
    ]


async def _members(conn: AsyncConnection, account_id: str) -> dict[str, dict[str, int]]:
    """Each queue's members with their priority in it."""
    query = select(queue_members.c.queue_id, queue_members.c.user_id, queue_members.c.priority).where(
        queue_members.c.account_id == account_id
    )
    found: dict[str, dict[str, int]] = {}
    for queue_id, user_id, priority in await conn.execute(query):
        found.setdefault(queue_id, {})[user_id] = priority
    return found


async def _last_operator(conn: AsyncConnection, account_id: str, row: RowMapping) -> str | None:
    """The operator of the visitor's most recent chat before this one (sticky)."""
    if row["visitor_id"] is None:
        return None
    query = (
        select(conversations.c.assigned_user_id)
        .where(
            conversations.c.account_id == account_id,
            conversations.c.visitor_id == row["visitor_id"],
            conversations.c.id != row["id"],
            conversations.c.assigned_user_id.is_not(None),
        )
        .order_by(conversations.c.accepted_at.desc())
        .limit(1)
    )
    user_id: str | None = await conn.scalar(query)
    return user_id


def _open(queue: RowMapping, now: datetime) -> bool:
    """Within the queue's opening hours (`hours.is_open`): a closed queue's chats wait (or fail over)."""
    hours = queue["hours"]
    return hours is None or is_open(OpeningHours.model_validate(hours), now)


def _candidate(operator: _Operator, priority: int) -> Candidate:
    return Candidate(operator.user_id, operator.load, priority, operator.last_offered_at)


async def _choose(
    conn: AsyncConnection,
    account_id: str,
    row: RowMapping,
    strategy: str,
    members: dict[str, int],
    available: dict[str, _Operator],
    hint: str | None,
) -> str | None:
    passed = set(row["passed_over"] or ())
    declined = set(row["declined_by"] or ())  # never offered it again
    able = [_candidate(available[u], p) for u, p in members.items() if u in available and u not in declined]
    fresh = [c for c in able if c.user_id not in passed]
    sticky = None
    if strategy == "sticky":
        last = await _last_operator(conn, account_id, row)
        if last is not None and last in available and last not in passed and last not in declined:
            sticky = _candidate(available[last], members.get(last, 0))
    if strategy == "external_webhook" and hint in available and hint in members and hint not in declined:
        return hint
    picked = choose(strategy, fresh, sticky) or choose(strategy, able)  # those passed over: when nobody else can
    return picked.user_id if picked else None


async def offer_waiting(
    conn: AsyncConnection,
    account_id: str,
    default_max: int,
    now: datetime,
    offer_seconds: float,
    webhook_grace: float = 0.0,
    hints: dict[str, str | None] | None = None,
) -> list[Offer]:
    """Offer the account's waiting chats that can be offered now (the caller holds the routing lock). `hints`:
    conversations whose router was asked, with the operator it named (None: it failed)."""
    hints = hints or {}
    asking_since = now - timedelta(seconds=webhook_grace)
    routing = await _queues(conn, account_id)
    routed = [queue_id for queue_id, row in routing.items() if row["strategy"] != "manual" and _open(row, now)]
    if not routed:
        return []
    available = await _available(conn, account_id, default_max)
    if not available:
        return []
    waiting = await _unoffered(conn, account_id, routed)
    if not waiting:
        return []
    members = await _members(conn, account_id)
    waiting.sort(key=lambda r: (routing[r["queue_id"]]["priority"], r["created_at"], r["id"]))
    expires = now + timedelta(seconds=offer_seconds)
    offers: list[Offer] = []
    for row in waiting:
        if not available:
            break
        queue = routing[row["queue_id"]]
        strategy = queue["strategy"]
        if strategy == "external_webhook" and row["id"] not in hints and row["created_at"] > asking_since:
            continue  # its router is being asked
        queue_members_ = members.get(row["queue_id"], {})
        user_id = await _choose(conn, account_id, row, strategy, queue_members_, available, hints.get(row["id"]))
        if user_id is None:
            continue
        offered = await _offer(conn, row["id"], user_id, now, expires)
        if offered is None:
            continue
        operator = available[user_id]
        operator.free, operator.load, operator.last_offered_at = operator.free - 1, operator.load + 1, now
        if operator.free <= 0:
            del available[user_id]
        offers.append(offered)
    if offers:
        touched = sorted({offer.user_id for offer in offers})
        mark = update(operators).where(operators.c.account_id == account_id, operators.c.user_id.in_(touched))
        await conn.execute(mark.values(last_offered_at=now))
    return offers


async def _offer(
    conn: AsyncConnection, conversation_id: str, user_id: str, now: datetime, expires: datetime
) -> Offer | None:
    still_waiting = (
        (conversations.c.id == conversation_id)
        & (conversations.c.state == "waiting")
        & conversations.c.offered_user_id.is_(None)
    )
    query = (
        update(conversations)
        .where(still_waiting)
        .values(offered_user_id=user_id, offered_at=now, offer_expires_at=expires)
        .returning(conversations)
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    conversation = ConversationOut.model_validate(dict(row))
    body = {
        "type": "conversation.offered",
        "user_id": user_id,
        "expires_at": expires.isoformat(),
        "conversation": conversation.model_dump(mode="json"),
    }
    frame = realtime.stage(conversation.account_id, None, body)
    await realtime.add(conn, frame)
    return Offer(conversation, user_id, frame)
