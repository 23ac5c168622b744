"""A queue's strategy: which of the operators able to take one more chat gets the offer (pure, no I/O).

Every candidate is online with room for one more chat (its load counts the chats offered to it). Ties go to
the operator idle longest (the oldest last offer; never offered first), then by user id, so a choice is stable.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    user_id: str
    load: int  # active chats plus chats offered to them now
    member_priority: int  # within the queue; lower is asked first (0 for a sticky operator outside the queue)
    last_offered_at: datetime | None


def _idle(candidate: Candidate) -> tuple[datetime, str]:
    return candidate.last_offered_at or NEVER, candidate.user_id


def least_busy(candidates: Sequence[Candidate]) -> Candidate:
    return min(candidates, key=lambda c: (c.load, *_idle(c)))


def round_robin(candidates: Sequence[Candidate]) -> Candidate:
    """In turn: the one whose last offer is the oldest, whatever their load."""
    return min(candidates, key=_idle)


def operator_priority(candidates: Sequence[Candidate]) -> Candidate:
    """The top tier (lowest member priority) that has room, least busy within it: a full tier overflows."""
    return min(candidates, key=lambda c: (c.member_priority, c.load, *_idle(c)))


def choose(strategy: str, candidates: Sequence[Candidate], sticky: Candidate | None = None) -> Candidate | None:
    """The operator to offer the chat to, or None (nobody can take it; or `manual`: nobody is offered it).

    `sticky`: the visitor's last operator when they are available (only the `sticky` strategy asks). Strategies
    without an engine of their own here: `cheapest_tier` is the operator-priority tiers; `external_webhook`
    is least busy (its documented fallback).
    """
    if strategy == "manual":
        return None
    if strategy == "sticky" and sticky is not None:
        return sticky
    if not candidates:
        return None
    if strategy == "round_robin":
        return round_robin(candidates)
    if strategy in ("operator_priority", "cheapest_tier"):
        return operator_priority(candidates)
    return least_busy(candidates)
