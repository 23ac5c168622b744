"""Who sees a conversation (SEC-2): the channels of its frames, and who may read it over REST.

A conversation's frames go to
- `account:<account>`: the account's managers (supervisors and admins see everything); the gateway's hub gives
  the conversation frames of that channel (`conversation.*`, `message.*`) to managers' sockets only;
- `operator:<account>:<user>` of each operator in it: the assigned one, the one it is offered to, those invited
  or watching (`participants.py`); while it waits, also each member of its queue (they may take it), or, for an
  account without queues, `operators:<account>` (every operator may take it);
- `visitor:<visitor>` of its visitor, or of each visitor of a group conversation (`group.py`); watchers are
  silent: a frame to visitors lists no watching participants.
A change that takes a conversation away from someone (an accept, a transfer, a removal) also sends its
`conversation.updated` to those who saw it before (`before`, `also`), so their lists drop it.

An operator reads (REST) what they would receive frames of; anyone else: 404. Managers read the whole account.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import realtime
from services.chat.api.schemas import ConversationOut
from services.chat.models import conversation_participants, conversation_visitors, conversations, queue_members
from services.chat.realtime import Frame
from services.common.errors import NotFound
from services.common.ids import new_id
from services.common.tokens import Identity

MANAGERS = ("supervisor", "admin")
Row = RowMapping | Mapping[str, Any]  # a conversation: its row, or its `ConversationOut` as a dict
parts = conversation_participants.c
group_visitors = conversation_visitors.c


def operator_channel(account_id: str, user_id: str) -> str:
    return f"operator:{account_id}:{user_id}"


def operators_channel(account_id: str) -> str:
    return f"operators:{account_id}"


def is_manager(identity: Identity) -> bool:
    return identity.is_user and identity.role in MANAGERS


@dataclass(frozen=True)
class Members:
    """Who is in a conversation besides its assigned operator: participants and a group's visitors."""

    participants: Sequence[RowMapping]
    visitors: Sequence[RowMapping]

    def user_ids(self) -> set[str]:
        return {row["user_id"] for row in self.participants}

    def role_of(self, user_id: str | None) -> str | None:
        return next((row["role"] for row in self.participants if row["user_id"] == user_id), None)


async def members_of(conn: AsyncConnection, conversation_id: str, kind: str = "direct") -> Members:
    query = (
        select(parts.user_id, parts.name, parts.role)
        .where(parts.conversation_id == conversation_id)
        .order_by(parts.added_at, parts.user_id)
    )
    participants = (await conn.execute(query)).mappings().all()
    visitors: Sequence[RowMapping] = []
    if kind == "group":
        visitors = await group_visitors_of(conn, [conversation_id])
    return Members(participants, visitors)


async def group_visitors_of(conn: AsyncConnection, conversation_ids: Sequence[str]) -> Sequence[RowMapping]:
    query = (
        select(group_visitors.conversation_id, group_visitors.visitor_id, group_visitors.site_id, group_visitors.name)
        .where(group_visitors.conversation_id.in_(conversation_ids))
        .order_by(func.length(group_visitors.name), group_visitors.name)  # "Visitor 1", "Visitor 2"… "Visitor 10"
    )
    return (await conn.execute(query)).mappings().all()


async def queue_member_ids(conn: AsyncConnection, account_id: str, queue_id: str) -> list[str]:
    query = select(queue_members.c.user_id).where(
        queue_members.c.account_id == account_id, queue_members.c.queue_id == queue_id
    )
    return list(await conn.scalars(query))


def participants_json(row: Row, members: Members, *, watchers: bool = True) -> list[dict[str, Any]]:
    """The conversation's `participants`: the assigned operator first, then those invited and watching."""
    found: list[dict[str, Any]] = []
    if row["assigned_user_id"] is not None and row["state"] != "waiting":
        found.append({"user_id": row["assigned_user_id"], "name": row["assigned_user_name"], "role": "assigned"})
    for part in members.participants:
        if part["user_id"] != row["assigned_user_id"] and (watchers or part["role"] != "watching"):
            found.append({"user_id": part["user_id"], "name": part["name"], "role": part["role"]})
    return found


def visitors_json(members: Members) -> list[dict[str, Any]]:
    return [{"visitor_id": v["visitor_id"], "site_id": v["site_id"], "name": v["name"]} for v in members.visitors]


def visitor_channels(row: Row, members: Members) -> set[str]:
    if row.get("kind") == "group":
        return {f"visitor:{v['visitor_id']}" for v in members.visitors}
    return {f"visitor:{row['visitor_id']}"} if row["visitor_id"] else set()


async def staff_channels(conn: AsyncConnection, row: Row, members: Members) -> set[str]:
    """The account's channel and those of the operators who see the conversation in this state."""
    account_id = row["account_id"]
    users = members.user_ids()
    channels = {f"account:{account_id}"}
    for holder in (row["assigned_user_id"], row["offered_user_id"]):
        if holder:
            users.add(holder)
    if row["state"] == "waiting" or (row["state"] == "closed" and row["accepted_at"] is None):
        # those who may take it (and, closed before anyone took it, who could have: their lists drop it)
        if row["queue_id"] is None:
            channels.add(operators_channel(account_id))
        else:
            users.update(await queue_member_ids(conn, account_id, row["queue_id"]))
    return channels | {operator_channel(account_id, user_id) for user_id in users}


async def frames_for(
    conn: AsyncConnection,
    row: Row,
    body: dict[str, Any],
    *,
    before: Row | None = None,
    also: Iterable[str] = (),
    visitors: bool = True,
    members: Members | None = None,
) -> list[Frame]:
    """The frames of `body` about the conversation `row` (not written: see `stage`). A body with a `conversation`
    gets its participants and visitors filled in; visitors (unless `visitors` is False) get it without watchers."""
    members = members or await members_of(conn, row["id"], row.get("kind") or "direct")
    staff = await staff_channels(conn, row, members)
    if before is not None:
        staff |= await staff_channels(conn, before, members)
    staff |= {operator_channel(row["account_id"], user_id) for user_id in also}
    to_visitors = visitor_channels(row, members) if visitors else set()
    conversation = body.get("conversation")
    if not isinstance(conversation, dict):
        return [Frame(new_id(), tuple(sorted(staff | to_visitors)), body, addressed=True)]
    conversation["kind"] = row.get("kind") or "direct"
    conversation["visitors"] = visitors_json(members)
    conversation["participants"] = participants_json(row, members)
    frames = [Frame(new_id(), tuple(sorted(staff)), body, addressed=True)]
    if to_visitors:
        silent = {**conversation, "participants": participants_json(row, members, watchers=False)}
        if silent == conversation:
            frames = [Frame(frames[0].id, tuple(sorted(staff | to_visitors)), body, addressed=True)]
        else:
            frames.append(Frame(new_id(), tuple(sorted(to_visitors)), {**body, "conversation": silent}, addressed=True))
    return frames


async def stage(
    conn: AsyncConnection,
    row: Row,
    body: dict[str, Any],
    *,
    before: Row | None = None,
    also: Iterable[str] = (),
    visitors: bool = True,
) -> list[Frame]:
    """`frames_for`, each frame's pending row written in the caller's transaction."""
    staged = await frames_for(conn, row, body, before=before, also=also, visitors=visitors)
    for frame in staged:
        await realtime.add(conn, frame)
    return staged


async def address(conn: AsyncConnection, frame: Frame) -> None:
    """Address a frame staged for the account (and maybe the visitor) by code that does not know who sees its
    conversation (`realtime.add` calls this): its channels become the conversation's audience (visitors only if
    it was for the visitor, then listing no watchers). A frame about no conversation is left as it is."""
    frame.addressed = True
    conversation = frame.body.get("conversation")
    message = frame.body.get("message")
    row: Row | None = None
    if isinstance(conversation, dict) and "state" in conversation:
        row = conversation
    elif isinstance(message, dict) and isinstance(message.get("conversation_id"), str):
        query = select(conversations).where(conversations.c.id == message["conversation_id"])
        row = (await conn.execute(query)).mappings().first()
    if row is None:
        return
    members = await members_of(conn, row["id"], row.get("kind") or "direct")
    channels = await staff_channels(conn, row, members)
    for_visitor = any(c.startswith("visitor:") for c in frame.channels)
    if for_visitor:
        channels |= visitor_channels(row, members)
    if isinstance(conversation, dict) and "state" in conversation:
        conversation["kind"] = row.get("kind") or "direct"
        conversation["visitors"] = visitors_json(members)
        conversation["participants"] = participants_json(row, members, watchers=not for_visitor)
    frame.channels = tuple(sorted(channels))


# Who may read it.


async def is_group_visitor(conn: AsyncConnection, conversation_id: str, visitor_id: str | None) -> bool:
    query = select(group_visitors.visitor_id).where(
        group_visitors.conversation_id == conversation_id, group_visitors.visitor_id == visitor_id
    )
    return (await conn.scalar(query)) is not None


async def may_see(conn: AsyncConnection, identity: Identity, row: Row) -> bool:
    if not identity.is_user:
        if row.get("kind") == "group":
            return await is_group_visitor(conn, row["id"], identity.visitor_id)
        return bool(row["visitor_id"]) and row["visitor_id"] == identity.visitor_id
    if identity.role != "operator":
        return True
    user_id = identity.user_id
    if user_id in (row["assigned_user_id"], row["offered_user_id"]):
        return True
    if row["state"] == "waiting":
        if row["queue_id"] is None or user_id in await queue_member_ids(conn, row["account_id"], row["queue_id"]):
            return True
    query = select(parts.user_id).where(parts.conversation_id == row["id"], parts.user_id == user_id)
    return (await conn.scalar(query)) is not None


async def check_visible(conn: AsyncConnection, identity: Identity, row: RowMapping | None) -> RowMapping:
    """The conversation when the caller may see it; else 404 (whether it exists or not)."""
    if row is None or not await may_see(conn, identity, row):
        raise NotFound("No such conversation.", code="conversation_not_found")
    return row


def visible_to_operator(account_id: str, user_id: str) -> ColumnElement[bool]:
    """The conversations an operator sees: theirs (assigned, offered, invited, watching) and the waiting ones
    they may take (of their queues; any, for an account without queues)."""
    c = conversations.c
    theirs = select(parts.conversation_id).where(parts.account_id == account_id, parts.user_id == user_id)
    their_queues = select(queue_members.c.queue_id).where(
        queue_members.c.account_id == account_id, queue_members.c.user_id == user_id
    )
    takeable = (c.state == "waiting") & (c.queue_id.is_(None) | c.queue_id.in_(their_queues))
    return (c.assigned_user_id == user_id) | (c.offered_user_id == user_id) | c.id.in_(theirs) | takeable


# What the API answers.


async def views(conn: AsyncConnection, rows: Sequence[RowMapping], identity: Identity) -> list[ConversationOut]:
    """The conversations with their participants and visitors (a visitor sees no watchers)."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    query = select(parts.conversation_id, parts.user_id, parts.name, parts.role).where(parts.conversation_id.in_(ids))
    by_id: dict[str, list[RowMapping]] = {i: [] for i in ids}
    for part in (await conn.execute(query.order_by(parts.added_at, parts.user_id))).mappings():
        by_id[part["conversation_id"]].append(part)
    groups = [row["id"] for row in rows if row.get("kind") == "group"]
    group_of: dict[str, list[RowMapping]] = {i: [] for i in groups}
    for found in await group_visitors_of(conn, groups) if groups else []:
        group_of[found["conversation_id"]].append(found)
    out = []
    for row in rows:
        members = Members(by_id[row["id"]], group_of.get(row["id"], []))
        values = dict(row)
        values["participants"] = participants_json(row, members, watchers=identity.is_user)
        values["visitors"] = visitors_json(members)
        out.append(ConversationOut.model_validate(values))
    return out


async def view(conn: AsyncConnection, row: RowMapping, identity: Identity) -> ConversationOut:
    return (await views(conn, [row], identity))[0]
