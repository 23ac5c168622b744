"""Request and response bodies of the rules API (docs/api.md, Rules). A rule's own JSON is
`engine.RuleDefinition`."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from services.common.validation import MAX_INT
from services.rules.engine.actions import RuleDefinition
from services.rules.engine.conditions import Name

MAX_RULES_PER_SITE = 500
Version = Annotated[
    int, Field(ge=1, le=MAX_INT, description="The version this edit replaces: 409 if the rule is past it.")
]


class VisitorStats(BaseModel):
    visitor_id: str
    pageviews: int
    last_url: str | None


def _no_null_defaults(schema: dict[str, Any]) -> None:
    """Fields that may be left out but not sent as null say so: no `default: null` in the document."""
    for field in schema.get("properties", {}).values():
        if field.get("default", ...) is None:
            del field["default"]


class RuleReplace(RuleDefinition):
    """A rule's new definition. With `version`, only if the rule is still at that version (else 409)."""

    model_config = ConfigDict(json_schema_extra=_no_null_defaults)

    version: Version | SkipJsonSchema[None] = None


class RulePatch(BaseModel):
    """A rule's name or `enabled` flag changed, the rest kept (a new definition is a `PUT`). `version` as in
    `RuleReplace`. A field left out stays as it is; null is refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_defaults)
    name: Name | SkipJsonSchema[None] = None
    enabled: bool | SkipJsonSchema[None] = None
    version: Version | SkipJsonSchema[None] = None

    @field_validator("name", "enabled", mode="before")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, not null")
        return value


class MoveRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int = Field(ge=0, le=MAX_RULES_PER_SITE, description="0 is first; past the end is last.")


class RuleOut(RuleDefinition):
    """A stored rule: its definition, where it stands in its site's order, and its version."""

    id: str
    site_id: str
    position: int
    version: int = Field(description="1 when created, one more at every edit of the rule.")
    created_at: datetime
    updated_at: datetime


class RuleList(BaseModel):
    rules: list[RuleOut] = Field(description="In the order they are evaluated.")


class PreviewVisitor(BaseModel):
    visitor_id: str
    current_url: str | None
    current_title: str | None
    matched: bool = Field(description="Whether the rule's conditions hold for this visitor now.")


class PreviewOut(BaseModel):
    """Which of the site's live visitors a rule matches now (its conditions; caps and `enabled` aside)."""

    live: int = Field(description="The site's live visitors (seen within the last 30 minutes).")
    matching: int = Field(description="How many of them the rule matches now.")
    visitors: list[PreviewVisitor] = Field(description="Matching first, then the most recently active; at most 200.")


class CapsVerdict(BaseModel):
    allowed: bool = Field(description="Whether the rule's caps would let it fire for the visitor now.")
    reason: str | None = Field(description="The cap that holds it back (`once_per_visit`, `chatting`...).")


class Explained(BaseModel):
    """Why a live visitor does or does not match a rule now. `tree` is the rule's condition tree: each node
    `{type, matched, condition, value, changes_at, children?}`, `condition` a leaf's parameters, `value` the
    visitor's own (seconds, a count, a text...), `changes_at` when time alone could change the result."""

    rule_id: str
    version: int
    visitor_id: str
    enabled: bool
    matched: bool
    caps: CapsVerdict
    tree: dict[str, Any]


class InvitationCounts(BaseModel):
    """What became of invitations (ENG-7), counted from the gateway's `invitation.*` events and chat's
    `conversation.started`."""

    shown: int = Field(description="Invitations the widget showed (`invitation.shown`).")
    accepted: int = Field(description="Invitations the visitor accepted.")
    closed: int = Field(description="Invitations the visitor closed without accepting.")
    expired: int = Field(description="Invitations nobody answered in their lifetime.")
    chats_started: int = Field(description="Conversations an accepted invitation started.")
    acceptance_rate: float | None = Field(description="`accepted / shown` (0..1); null while nothing was shown.")


class VariantCounts(InvitationCounts):
    variant: str | None = Field(description="The A/B variant's key; null for an invitation without variants.")


class RuleStats(InvitationCounts):
    """One rule's counts over all its variants, and per variant (those seen, by key)."""

    rule_id: str
    variants: list[VariantCounts]


class RuleListing(RuleList):
    """A site's rules; with `stats=true`, what became of their invitations."""

    stats: list[RuleStats] | None = Field(
        description="Each rule's counts, in the rules' order (zeros for one never shown); null unless asked."
    )
