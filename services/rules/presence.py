"""Operator availability as the rules know it (ENG-5): a read model of chat's `operator.presence_changed`
(`rules_operator_presence`, one row per operator, the newest `at` wins, so a redelivered or late event
changes nothing), and each account's `Availability` read from it for the conditions "any operator online",
"operators X, Y or Z online" and "an operator free (in a queue)".

Online: the status `online` (away, break, phone and offline are not). Free: online with room for one more
chat (`OperatorPresenceChanged.available`), counted per queue the operator is in.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert
from services.common.events import OperatorPresenceChanged
from services.rules.models import operator_presence


@dataclass(frozen=True, slots=True)
class Availability:
    """One account's operators at one moment, as the conditions see them."""

    online: frozenset[str] = frozenset()
    free: frozenset[str] = frozenset()
    free_in_queue: Mapping[str, int] = field(default_factory=dict)


NOBODY = Availability()


def availability_of(rows: Iterable[OperatorPresenceChanged]) -> Availability:
    online, free, per_queue = set[str](), set[str](), dict[str, int]()
    for row in rows:
        if row.status == "online":
            online.add(row.user_id)
        if row.available:
            free.add(row.user_id)
            for queue_id in set(row.queue_ids):
                per_queue[queue_id] = per_queue.get(queue_id, 0) + 1
    return Availability(frozenset(online), frozenset(free), per_queue)


async def record_presence(conn: AsyncConnection, account_id: str, change: OperatorPresenceChanged) -> None:
    """Keep the operator's presence unless a newer one is stored already."""
    table = operator_presence.c
    new = upsert_insert(conn, operator_presence).values(
        account_id=account_id,
        user_id=change.user_id,
        status=change.status,
        max_chats=change.max_chats,
        active_chats=change.active_chats,
        queue_ids=list(change.queue_ids),
        at=change.at,
    )
    columns = ("status", "max_chats", "active_chats", "queue_ids", "at")
    await conn.execute(
        new.on_conflict_do_update(
            index_elements=[table.account_id, table.user_id],
            set_={name: new.excluded[name] for name in columns},
            where=new.excluded.at > table.at,
        )
    )


async def account_availability(conn: AsyncConnection, account_id: str) -> Availability:
    query = select(operator_presence).where(operator_presence.c.account_id == account_id)
    rows = (await conn.execute(query)).mappings()
    return availability_of(OperatorPresenceChanged.model_validate(dict(row)) for row in rows)
