"""An invitation as the gateway keeps it while it waits for the visitor's answer, and the frames about it.

The frame a visitor's socket gets (`visitor_frame`), published on the visitor's channel `visitor:<id>`:
`{"type": "invitation", "invitation_id", "rule_id", "variant", "text", "operator": {"id", "name",
"photo_url"} | null, "auto_open", "delay_s", "expires_at"}`. A rule's invitation may be published there by the
rules service as it is; the gateway remembers every one it relays (`InvitationDesk.relayed`).
"""

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.db import utcnow
from services.common.tokens import Identity

MAX_TEXT = 500


class InvitingOperator(BaseModel):
    """Who the bubble shows: the operator's id, name and photo (none: the widget shows their initials)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    photo_url: str | None = Field(default=None, max_length=2048)


class Invitation(BaseModel):
    """One invitation to one visitor, from a rule (`rule_id`, `variant`) or an operator's call (both null)."""

    model_config = ConfigDict(extra="ignore")

    invitation_id: str = Field(min_length=1, max_length=64)
    account_id: str = Field(min_length=1, max_length=64)
    site_id: str = Field(min_length=1, max_length=64)
    visitor_id: str = Field(min_length=1, max_length=64)
    rule_id: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    operator: InvitingOperator | None = None
    auto_open: bool = False
    delay_s: float = Field(default=0.0, ge=0, le=3600)
    # A rule's `route_to_queue`: the conversation accepting it starts goes to this queue (kept here, at the edge,
    # not sent to the widget).
    queue_id: str | None = Field(default=None, max_length=64)
    offered_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime

    @property
    def is_call(self) -> bool:
        """An operator's own call (not a rule's): the conversation it starts is theirs at once."""
        return self.rule_id is None and self.operator is not None

    def visitor_frame(self, now: datetime | None = None) -> dict[str, Any]:
        """The frame for the visitor's socket; `delay_s` is what is left of the delay at `now`."""
        waited = ((now or utcnow()) - self.offered_at).total_seconds()
        return {
            "type": "invitation",
            "invitation_id": self.invitation_id,
            "rule_id": self.rule_id,
            "variant": self.variant,
            "text": self.text,
            "operator": self.operator.model_dump(mode="json") if self.operator else None,
            "auto_open": self.auto_open,
            "delay_s": round(max(0.0, self.delay_s - max(0.0, waited)), 3),
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_frame(cls, visitor: Identity, frame: dict[str, Any], ttl_seconds: float) -> "Invitation":
        """The invitation of a relayed `invitation` frame (a rule's) to this visitor: it expires at its
        `expires_at`, else after `ttl_seconds`. Raises `pydantic.ValidationError` for a frame that is not one."""
        now = utcnow()
        return cls.model_validate(
            {
                **frame,
                "account_id": visitor.account_id,
                "site_id": visitor.site_id,
                "visitor_id": visitor.visitor_id,
                "offered_at": now,
                "expires_at": frame.get("expires_at") or now + timedelta(seconds=ttl_seconds),
            }
        )


def withdrawn_frame(invitation_id: str, reason: str) -> dict[str, Any]:
    """To every tab of the visitor: the invitation is gone (accepted or closed in a tab, or expired)."""
    return {"type": "invitation.withdrawn", "invitation_id": invitation_id, "reason": reason}


def state_frame(invitation: Invitation, state: str, conversation_id: str | None = None) -> dict[str, Any]:
    """To the account's operators: where an invitation is (`offered`, `shown`, `accepted`, `closed`, `expired`)."""
    return {
        "type": "invitation.state",
        "invitation_id": invitation.invitation_id,
        "visitor_id": invitation.visitor_id,
        "rule_id": invitation.rule_id,
        "variant": invitation.variant,
        "operator_id": invitation.operator.id if invitation.operator else None,
        "state": state,
        "conversation_id": conversation_id,
    }
