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

What it reads is kept to what the event can change (the lock is held for as few statements as possible): a new
chat (`chats`) is offered to the members of its queue (an older chat of that queue nobody is offered goes first);
room freed for some operators (`users`: a close, an operator online) offers those operators the oldest chats of
their queues that fit; without either, every waiting chat (the sweeps, a queue edited). Between them routing offers nothing it would not offer in a full
sweep: a chat waits only while no member of its queue who may take it has room, so the freed operator is the
one it goes to.
A queue's `min_gap_seconds` keeps an operator whose last offer is more recent out of its chats (they wait for
the next event or the routing sweep); operators speaking the chat's language (`conversations.language`, their
`languages`) are chosen before the others, within the strategy.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, realtime
from services.chat.api.schemas import ConversationOut
from services.chat.hours import OpeningHours, is_open
from services.chat.models import conversation_participants, conversations, operators, queue_members, queues
from services.chat.routing.capacity import load_query
from services.chat.routing.strategies import Candidate, choose

parts = conversation_participants.c
BATCH = 500  # waiting chats considered per call (the oldest first)
SLACK = 50  # waiting chats read per operator whose room grew (more than their room: some may be declined)


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
    languages: frozenset[str] = frozenset()


def primary(tag: str | None) -> str | None:
    """A language tag's primary subtag, lower case ("pt-BR": "pt"); None for none."""
    return tag.split("-")[0].split("_")[0].lower() or None if tag else None


async def _queues(conn: AsyncConnection, account_id: str) -> dict[str, RowMapping]:
    query = select(queues.c.id, queues.c.priority, queues.c.strategy, queues.c.hours, queues.c.min_gap_seconds).where(
        queues.c.account_id == account_id
    )
    return {row["id"]: row for row in (await conn.execute(query)).mappings()}


async def _unoffered(
    conn: AsyncConnection, account_id: str, routed: Sequence[str], limit: int = BATCH
) -> list[RowMapping]:
    """Waiting chats of these queues nobody is offered: by queue priority, then the longest waiting first."""
    query = (
        select(conversations)
        .join(queues, queues.c.id == conversations.c.queue_id)
        .where(
            conversations.c.account_id == account_id,
            conversations.c.state == "waiting",
            conversations.c.offered_user_id.is_(None),
            conversations.c.queue_id.in_(routed),
        )
        .order_by(queues.c.priority, conversations.c.created_at, conversations.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def _available(
    conn: AsyncConnection, account_id: str, default_max: int, user_ids: Sequence[str] | None = None
) -> dict[str, _Operator]:
    """Online operators (of `user_ids`, when given) with room for one more chat: one statement, their loads
    (`capacity.loads`) joined in."""
    held = load_query(account_id, user_ids).subquery()
    query = (
        select(
            operators.c.user_id,
            operators.c.max_chats,
            operators.c.last_offered_at,
            operators.c.languages,
            func.coalesce(held.c.load, 0),
        )
        .select_from(operators.outerjoin(held, held.c.user_id == operators.c.user_id))
        .where(operators.c.account_id == account_id, operators.c.status == "online")
    )
    if user_ids is not None:
        query = query.where(operators.c.user_id.in_(user_ids))
    found: dict[str, _Operator] = {}
    for user_id, max_chats, last_offered_at, languages, load in await conn.execute(query):
        free = (max_chats or default_max) - int(load)
        if free > 0:
            spoken = frozenset(p for p in (primary(tag) for tag in languages or ()) if p)
            found[user_id] = _Operator(user_id, free, int(load), last_offered_at, spoken)
    return found


async def waits_for(conn: AsyncConnection, account_id: str, user_id: str) -> bool:
    """Whether a chat nobody is offered waits in one of this operator's queues (before taking the lock for
    the room they freed: usually none does)."""
    mine = select(queue_members.c.queue_id).where(
        queue_members.c.account_id == account_id, queue_members.c.user_id == user_id
    )
    query = select(conversations.c.id).where(
        conversations.c.account_id == account_id,
        conversations.c.state == "waiting",
        conversations.c.offered_user_id.is_(None),
        conversations.c.queue_id.in_(mine),
    )
    return await conn.scalar(query.limit(1)) is not None


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


async def _members(
    conn: AsyncConnection,
    account_id: str,
    queue_ids: Sequence[str] | None = None,
    user_ids: Sequence[str] | None = None,
) -> dict[str, dict[str, int]]:
    """Each queue's members with their priority in it (of these queues, these users, when given)."""
    query = select(queue_members.c.queue_id, queue_members.c.user_id, queue_members.c.priority).where(
        queue_members.c.account_id == account_id
    )
    if queue_ids is not None:
        query = query.where(queue_members.c.queue_id.in_(queue_ids))
    if user_ids is not None:
        query = query.where(queue_members.c.user_id.in_(user_ids))
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


def _rested(operator: _Operator, gap: int, now: datetime) -> bool:
    """No offer for `gap` seconds (the queue's minimum gap between two offers to one operator)."""
    return gap <= 0 or operator.last_offered_at is None or operator.last_offered_at <= now - timedelta(seconds=gap)


async def _choose(
    conn: AsyncConnection,
    account_id: str,
    row: RowMapping,
    queue: RowMapping,
    members: dict[str, int],
    available: dict[str, _Operator],
    hint: str | None,
    now: datetime,
) -> str | None:
    strategy = queue["strategy"]
    gap = queue["min_gap_seconds"] or 0
    passed = set(row["passed_over"] or ())
    declined = set(row["declined_by"] or ())  # never offered it again
    able = [
        _candidate(available[u], p)
        for u, p in members.items()
        if u in available and u not in declined and _rested(available[u], gap, now)
    ]
    language = primary(row["language"])
    if language is not None:  # those who speak it first; nobody does: anyone
        able = [c for c in able if language in available[c.user_id].languages] or able
    fresh = [c for c in able if c.user_id not in passed]
    sticky = None
    if strategy == "sticky":
        last = await _last_operator(conn, account_id, row)
        if (
            last is not None
            and last in available
            and last not in passed
            and last not in declined
            and _rested(available[last], gap, now)
        ):
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
    *,
    chats: Sequence[str] | None = None,
    users: Sequence[str] | None = None,
) -> list[Offer]:
    """Offer the account's waiting chats that can be offered now (the caller holds the routing lock). `hints`:
    conversations whose router was asked, with the operator it named (None: it failed). `chats`: only these
    (new ones); `users`: only to these operators (their room grew); neither: all of them."""
    hints = hints or {}
    asking_since = now - timedelta(seconds=webhook_grace)
    routing = await _queues(conn, account_id)
    routed = [queue_id for queue_id, row in routing.items() if row["strategy"] != "manual" and _open(row, now)]
    if not routed:
        return []
    if chats is not None:  # only their queues' members are read; older chats of those queues still go first
        query = select(conversations.c.queue_id).where(
            conversations.c.account_id == account_id,
            conversations.c.id.in_(chats),
            conversations.c.state == "waiting",
            conversations.c.offered_user_id.is_(None),
            conversations.c.queue_id.in_(routed),
        )
        routed = sorted(set(await conn.scalars(query)))
        if not routed:
            return []
        members = await _members(conn, account_id, queue_ids=routed)
        available = await _available(conn, account_id, default_max, sorted({u for m in members.values() for u in m}))
        if not available:
            return []
        waiting = await _unoffered(conn, account_id, routed, len(chats) + SLACK)
    elif users is not None:  # what waits in their queues first: usually nothing (a close with nobody waiting)
        members = await _members(conn, account_id, user_ids=users)
        routed = [queue_id for queue_id in routed if queue_id in members]
        waiting = await _unoffered(conn, account_id, routed, SLACK * len(users)) if routed else []
        if not waiting:
            return []
        available = await _available(conn, account_id, default_max, users)
    else:
        available = await _available(conn, account_id, default_max)
        if not available:
            return []
        members = await _members(conn, account_id)
        routed = [q for q in routed if any(u in available for u in members.get(q, {}))]  # someone can take one
        waiting = await _unoffered(conn, account_id, routed) if routed else []
    if not waiting or not available:
        return []
    expires = now + timedelta(seconds=offer_seconds)
    made: list[tuple[RowMapping, str]] = []
    for row in waiting:
        if not available:
            break
        queue = routing[row["queue_id"]]
        if queue["strategy"] == "external_webhook" and row["id"] not in hints and row["created_at"] > asking_since:
            continue  # its router is being asked
        queue_members_ = members.get(row["queue_id"], {})
        user_id = await _choose(conn, account_id, row, queue, queue_members_, available, hints.get(row["id"]), now)
        if user_id is None:
            continue
        offered = await _offer(conn, row["id"], user_id, now, expires)
        if offered is None:
            continue
        operator = available[user_id]
        operator.free, operator.load, operator.last_offered_at = operator.free - 1, operator.load + 1, now
        if operator.free <= 0:
            del available[user_id]
        made.append((offered, user_id))
    if not made:
        return []
    touched = sorted({user_id for _, user_id in made})
    mark = update(operators).where(operators.c.account_id == account_id, operators.c.user_id.in_(touched))
    await conn.execute(mark.values(last_offered_at=now))
    return await _offer_frames(conn, account_id, made, expires)


async def _offer(
    conn: AsyncConnection, conversation_id: str, user_id: str, now: datetime, expires: datetime
) -> RowMapping | None:
    """Offer the chat to the operator if it still waits for an offer (the conditional UPDATE: its new row)."""
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
    row: RowMapping | None = (await conn.execute(query)).mappings().first()
    return row


async def _offer_frames(
    conn: AsyncConnection, account_id: str, made: Sequence[tuple[RowMapping, str]], expires: datetime
) -> list[Offer]:
    """The `conversation.offered` frames of these offers, their pending rows written: addressed as
    `audience.address` would (the queue's members, the participants, the operator it is offered to), with the
    participants and queue members of all of them read at once and the rows written in one statement (under the
    routing lock, each statement is a wait for the event loop too: two to four per offer were)."""
    participants: dict[str, list[RowMapping]] = {}
    query = (
        select(parts.conversation_id, parts.user_id, parts.name, parts.role)
        .where(parts.conversation_id.in_([row["id"] for row, _ in made]))
        .order_by(parts.added_at, parts.user_id)
    )
    for part in (await conn.execute(query)).mappings():
        participants.setdefault(part["conversation_id"], []).append(part)
    queue_ids = sorted({row["queue_id"] for row, _ in made if row["queue_id"] is not None})
    in_queue: dict[str, set[str]] = {}
    if queue_ids:
        memberships = select(queue_members.c.queue_id, queue_members.c.user_id).where(
            queue_members.c.account_id == account_id, queue_members.c.queue_id.in_(queue_ids)
        )
        for queue_id, user_id in await conn.execute(memberships):
            in_queue.setdefault(queue_id, set()).add(user_id)
    offers: list[Offer] = []
    pending: list[dict[str, Any]] = []
    for row, user_id in made:
        conversation = ConversationOut.model_validate(dict(row))
        body: dict[str, Any] = {
            "type": "conversation.offered",
            "user_id": user_id,
            "expires_at": expires.isoformat(),
            "conversation": conversation.model_dump(mode="json"),
        }
        frame = realtime.stage(conversation.account_id, None, body)
        if conversation.kind == "group":  # a group's visitors are read by `audience.address` (`realtime.add`)
            await realtime.add(conn, frame)
        else:
            _address(frame, account_id, body["conversation"], participants.get(row["id"], []), in_queue)
            pending.append(frame.row())
        offers.append(Offer(conversation, user_id, frame))
    if pending:
        await conn.execute(realtime.INSERT_PENDING, pending)
    return offers


def _address(
    frame: realtime.Frame,
    account_id: str,
    conversation: dict[str, Any],
    participants: Sequence[RowMapping],
    in_queue: dict[str, set[str]],
) -> None:
    """`audience.address` of an offer's frame (a direct chat that waits), from what `_offer_frames` read."""
    members = audience.Members(participants, [])
    users = members.user_ids() | {u for u in (conversation["assigned_user_id"], conversation["offered_user_id"]) if u}
    channels = {f"account:{account_id}"}
    if conversation["queue_id"] is None:
        channels.add(audience.operators_channel(account_id))
    else:
        users |= in_queue.get(conversation["queue_id"], set())
    conversation["kind"] = conversation.get("kind") or "direct"
    conversation["visitors"] = audience.visitors_json(members)
    conversation["participants"] = audience.participants_json(conversation, members, watchers=True)
    frame.channels = tuple(sorted(channels | {audience.operator_channel(account_id, u) for u in users}))
    frame.addressed = True
