"""Frequency caps and A/B variants: whether a matched rule may fire for this visitor now, and which of its
invitation's variants they get. Pure functions of what the caller keeps of the rule's past for the visitor
(`RuleHistory`), so the real-time part decides where that history lives."""

import hashlib
from dataclasses import dataclass

from services.rules.engine.actions import Caps, ShowInvitation, Variant
from services.rules.engine.state import VisitorState

DAY, HOUR = 86400.0, 3600.0


@dataclass(frozen=True, slots=True)
class RuleHistory:
    """One rule's past with one visitor."""

    fired_this_visit: int = 0
    fired_total: int = 0
    last_fired_at: float | None = None
    closed_this_visit: bool = False  # the visitor closed one of the rule's invitations this visit


@dataclass(frozen=True, slots=True)
class CapDecision:
    allowed: bool
    reason: str | None = None  # the cap that holds it back
    retry_at: float | None = None  # when that cap lets go by time alone (None: not this visit, or never)


def check_caps(caps: Caps, history: RuleHistory, state: VisitorState, now: float) -> CapDecision:
    """Whether the rule may fire for the visitor now; the first cap that refuses says why."""
    if caps.never_while_chatting and state.chat_state in ("waiting", "active"):
        return CapDecision(False, "chatting")
    if caps.not_after_closed_this_visit and history.closed_this_visit:
        return CapDecision(False, "closed_this_visit")
    if caps.once_per_visit and history.fired_this_visit > 0:
        return CapDecision(False, "once_per_visit")
    if caps.max_shows is not None and history.fired_total >= caps.max_shows:
        return CapDecision(False, "max_shows")
    if caps.not_again_days is not None and history.last_fired_at is not None:
        free_at = history.last_fired_at + caps.not_again_days * DAY
        if now < free_at:
            return CapDecision(False, "not_again_days", free_at)
    if caps.hours_after_chat is not None and state.last_chat_at is not None:
        free_at = state.last_chat_at + caps.hours_after_chat * HOUR
        if now < free_at:
            return CapDecision(False, "hours_after_chat", free_at)
    return CapDecision(True)


def pick_variant(action: ShowInvitation, rule_id: str, visitor_id: str) -> Variant:
    """The variant this visitor sees of the invitation: the same every time (a hash of the rule and the
    visitor picks a percent bucket), in the proportions of the splits. Without variants, the invitation's
    own text as the variant `default`."""
    if not action.variants:
        return Variant(key="default", text=action.text, split=100)
    digest = hashlib.blake2b(f"{rule_id}:{visitor_id}".encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "big") % 100
    for variant in action.variants:
        if bucket < variant.split:
            return variant
        bucket -= variant.split
    return action.variants[-1]
