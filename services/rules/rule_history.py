"""Each visitor's durable past with each rule (`rules_visitor_rule_history`): how many times it fired for them
and when last, what "at most N shows" and "not again for N days" count (`engine.check_caps`) once the live state
is gone (after `LIVE_IDLE`, or on another rules runtime) and the visitor comes back; and the visit of the last
firing (with how many times it fired in it) and of the visitor's last close of one of its invitations, what
"once per visit" and "not again this visit after a close" count when the live state is lost within the visit (a
rules restart embedded, Redis flushed distributed): a state built afresh in that visit starts from them.

- `record_firings`: the firings of one batch of evaluations (`live.py`), one statement, written after their
  claim and publication (at least once: a firing whose write failed is lost, one written twice changes nothing,
  since the greatest count and the latest time win; the visit and its count go with the latest time).
- `record_closes`: the invitations closed of one batch of `invitation.closed` (`consumers.LiveAnswers`), one
  statement in the batch's transaction: the rule's row takes the visit of its last firing as the visit closed in
  (the invitation closed is that firing's: an invitation lives about two minutes, a new visit starts after 30
  idle minutes). A row not written yet (the close read before its firing's batch was kept) is not marked.
- `histories_of`: the histories of the visitors of one read of page views (one statement), handed to the live
  rules with the page views, so that a live state built afresh starts from them.
- `forget_histories`: the visitor was erased (data protection).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import upsert_insert, utcnow
from services.rules.engine import RuleHistory
from services.rules.models import visitor_rule_history

MAX_ID = 36  # the columns' width: a longer (visitor, rule or visit) id is no one's the rules keep


@dataclass(frozen=True, slots=True)
class Past:
    """One rule's durable past with one visitor."""

    fired_total: int
    last_fired_at: float  # epoch seconds
    visit_id: str | None = None  # the visit of the last firing (None: not known)
    fired_in_visit: int = 0  # how many times it fired in that visit
    closed_visit_id: str | None = None  # the visit in which the visitor last closed one of its invitations

    def in_visit(self, visit_id: str | None) -> RuleHistory:
        """The rule's history as of a visit (`visit_id`): its firings ever, and those of that visit and its
        close in it if they are of that visit."""
        same = visit_id is not None and self.visit_id == visit_id
        return RuleHistory(
            fired_this_visit=self.fired_in_visit if same else 0,
            fired_total=self.fired_total,
            last_fired_at=self.last_fired_at,
            closed_this_visit=visit_id is not None and self.closed_visit_id == visit_id,
        )


Histories = dict[str, dict[str, Past]]  # visitor -> rule -> its durable past


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule fired for a visitor: their history with it after the firing."""

    account_id: str
    visitor_id: str
    rule_id: str
    fired_total: int
    fired_at: float  # epoch seconds
    visit_id: str | None = None
    fired_in_visit: int = 0  # how many times it fired in that visit, this one included


async def record_firings(conn: AsyncConnection, firings: Iterable[Firing]) -> None:
    """Keep the firings (one statement; one row per (account, visitor, rule), in key order so that two replicas
    writing the same rows lock them in the same order). A row only moves forward: the greater count, the later
    time, and with the later time the visit and its count."""
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
            "visit_id": firing.visit_id if firing.visit_id and len(firing.visit_id) <= MAX_ID else None,
            "fired_in_visit": firing.fired_in_visit,
            "updated_at": now,
        }
        for (account_id, visitor_id, rule_id), firing in sorted(latest.items())
    ]
    new = upsert_insert(conn, visitor_rule_history).values(rows)
    later = new.excluded.last_fired_at > history.last_fired_at
    await conn.execute(
        new.on_conflict_do_update(
            index_elements=[history.account_id, history.visitor_id, history.rule_id],
            set_={
                "fired_total": case(
                    (new.excluded.fired_total > history.fired_total, new.excluded.fired_total),
                    else_=history.fired_total,
                ),
                "last_fired_at": case((later, new.excluded.last_fired_at), else_=history.last_fired_at),
                "visit_id": case((later, new.excluded.visit_id), else_=history.visit_id),
                "fired_in_visit": case((later, new.excluded.fired_in_visit), else_=history.fired_in_visit),
                "updated_at": new.excluded.updated_at,
            },
        )
    )


async def record_closes(conn: AsyncConnection, closes: Iterable[tuple[str, str, str]]) -> None:
    """The visitors closed invitations of these rules ((account, visitor, rule); one statement): each rule's row
    takes the visit of its last firing as the visit closed in."""
    keys = sorted({key for key in closes if max(len(part) for part in key) <= MAX_ID})
    if not keys:
        return
    history = visitor_rule_history.c
    await conn.execute(
        update(visitor_rule_history)
        .where(tuple_(history.account_id, history.visitor_id, history.rule_id).in_(keys))
        .values(closed_visit_id=history.visit_id, updated_at=utcnow())
    )


async def histories_of(conn: AsyncConnection, account_id: str, visitor_ids: Sequence[str]) -> Histories:
    """The durable histories of those of the account's visitors whom a rule ever fired for (one statement)."""
    wanted = sorted({v for v in visitor_ids if len(v) <= MAX_ID})
    if not wanted:
        return {}
    history = visitor_rule_history.c
    query = select(
        history.visitor_id,
        history.rule_id,
        history.fired_total,
        history.last_fired_at,
        history.visit_id,
        history.fired_in_visit,
        history.closed_visit_id,
    ).where(history.account_id == account_id, history.visitor_id.in_(wanted))
    found: Histories = {}
    for visitor_id, rule_id, fired_total, last_fired_at, visit_id, fired_in_visit, closed in await conn.execute(query):
        found.setdefault(visitor_id, {})[rule_id] = Past(
            fired_total, last_fired_at.timestamp(), visit_id, fired_in_visit, closed
        )
    return found


async def forget_histories(conn: AsyncConnection, account_id: str, visitor_id: str) -> None:
    """Data protection: the visitor was erased at tracking, so their past with the rules goes too."""
    history = visitor_rule_history.c
    await conn.execute(
        delete(visitor_rule_history).where(history.account_id == account_id, history.visitor_id == visitor_id)
    )
