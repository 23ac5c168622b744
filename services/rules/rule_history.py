"""Each visitor's durable past with each rule (`rules_visitor_rule_history`): how many times it fired for them
and when last, what "at most N shows" and "not again for N days" count (`engine.check_caps`) once the live state
is gone (after `LIVE_IDLE`, or on another rules runtime) and the visitor comes back.

- `record_firings`: the firings of one batch of evaluations (`live.py`), one statement, written after their
  claim and publication (at least once: a firing whose write failed is lost, one written twice changes nothing,
  since the greatest count and the latest time win).
- `histories_of`: the histories of the visitors of one read of page views (one statement), handed to the live
  rules with the page views, so that a live state built afresh starts from them.
- `forget_histories`: the visitor was erased (data protection).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.rules.engine import RuleHistory
from services.rules.models import visitor_rule_history

MAX_ID = 36  # the columns' width: a longer (visitor or rule) id is no one's the rules keep

Histories = dict[str, dict[str, RuleHistory]]  # visitor -> rule -> its durable past (fired_total, last_fired_at)


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule fired for a visitor: their history with it after the firing."""

    account_id: str
    visitor_id: str
    rule_id: str
    fired_total: int
    fired_at: float  # epoch seconds


async def record_firings(conn: AsyncConnection, firings: Iterable[Firing]) -> None:
    """Keep the firings (one statement; one row per (account, visitor, rule), in key order so that two replicas
    writing the same rows lock them in the same order). A row only moves forward: the greater count, the later
    time."""
    latest: dict[tuple[str, str, str], Firing] = {}
    for firing in firings:
        if max(len(firing.visitor_id), len(firing.rule_id), len(firing.account_id)) > MAX_ID:
            continue
        key = (firing.account_id, firing.visitor_id, firing.rule_id)
        known = latest.get(key)
        if known is None or (firing.fired_total, firing.fired_at) > (known.fired_total, known.fired_at):
            latest[key] = firing
    if not latest:
        return
    history, now = visitor_rule_history.c, utcnow()
    rows = [
        {
            "account_id": account_id,
            "visitor_id": visitor_id,
            "rule_id": rule_id,
            "fired_total": firing.fired_total,
            "last_fired_at": datetime.fromtimestamp(firing.fired_at, UTC),
            "updated_at": now,
        }
        for (account_id, visitor_id, rule_id), firing in sorted(latest.items())
    ]
    new = upsert_insert(conn, visitor_rule_history).values(rows)
    await conn.execute(
        new.on_conflict_do_update(
            index_elements=[history.account_id, history.visitor_id, history.rule_id],
            set_={
                "fired_total": case(
                    (new.excluded.fired_total > history.fired_total, new.excluded.fired_total),
                    else_=history.fired_total,
                ),
                "last_fired_at": case(
                    (new.excluded.last_fired_at > history.last_fired_at, new.excluded.last_fired_at),
                    else_=history.last_fired_at,
                ),
                "updated_at": new.excluded.updated_at,
            },
        )
    )


async def histories_of(conn: AsyncConnection, account_id: str, visitor_ids: Sequence[str]) -> Histories:
    """The durable histories of those of the account's visitors whom a rule ever fired for (one statement)."""
    wanted = sorted({v for v in visitor_ids if len(v) <= MAX_ID})
    if not wanted:
        return {}
    history = visitor_rule_history.c
    query = select(history.visitor_id, history.rule_id, history.fired_total, history.last_fired_at).where(
        history.account_id == account_id, history.visitor_id.in_(wanted)
    )
    found: Histories = {}
    for visitor_id, rule_id, fired_total, last_fired_at in await conn.execute(query):
        found.setdefault(visitor_id, {})[rule_id] = RuleHistory(
            fired_total=fired_total, last_fired_at=last_fired_at.timestamp()
        )
    return found


async def forget_histories(conn: AsyncConnection, account_id: str, visitor_id: str) -> None:
    """Data protection: the visitor was erased at tracking, so their past with the rules goes too."""
    history = visitor_rule_history.c
    await conn.execute(
        delete(visitor_rule_history).where(history.account_id == account_id, history.visitor_id == visitor_id)
    )
