"""What a rule does when it matches (its actions), how often it may (its caps), and the rule's definition:
the validated JSON that is stored and that the API takes."""

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.rules.engine.conditions import MAX_NODES, Condition, Key, Name, Strict, count_nodes

Delay = Annotated[int, Field(ge=0, le=3600, description="Seconds after the rule matched.")]
Message = Annotated[str, Field(min_length=1, max_length=500)]
MAX_ACTIONS = 10
MAX_VARIANTS = 5


class Variant(Strict):
    """One arm of an A/B test: its text, shown to `split` percent of the visitors."""

    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    text: Message
    split: Annotated[int, Field(ge=1, le=100, description="Percent of the visitors.")]


class ShowInvitation(Strict):
    """An invitation bubble: `text` with the operator's photo and name (`operator_id`; null: whoever takes
    it), `delay_s` after the match. With `variants`, each visitor gets one of them (splits add up to 100)."""

    type: Literal["show_invitation"]
    text: Message
    operator_id: Key | None = None
    delay_s: Delay = 0
    variants: list[Variant] = Field(default_factory=list, max_length=MAX_VARIANTS)

    @field_validator("variants")
    @classmethod
    def splits_add_up(cls, variants: list[Variant]) -> list[Variant]:
        if variants and sum(v.split for v in variants) != 100:
            raise PydanticCustomError("split_total", "the variants' splits must add up to 100")
        if len({v.key for v in variants}) != len(variants):
            raise PydanticCustomError("variant_keys", "each variant needs its own key")
        return variants


class OpenChat(Strict):
    """Open the chat window by itself, `delay_s` after the match, with an optional first message."""

    type: Literal["open_chat"]
    delay_s: Delay = 0
    message: Message | None = None


class NotifyOperators(Strict):
    type: Literal["notify_operators"]
    highlight: bool = True
    sound: bool = False


class RouteToQueue(Strict):
    type: Literal["route_to_queue"]
    queue_id: Key


class TagVisitor(Strict):
    type: Literal["tag_visitor"]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9 _.:-]{1,64}$")]


Action = Annotated[ShowInvitation | OpenChat | NotifyOperators | RouteToQueue | TagVisitor, Field(discriminator="type")]


class Caps(Strict):
    """How often a rule may fire for one visitor (`caps.py` applies them)."""

    once_per_visit: bool = True
    max_shows: Annotated[int, Field(ge=1, le=1000)] | None = Field(default=None, description="Ever, per visitor.")
    not_again_days: Annotated[int, Field(ge=1, le=365)] | None = None
    never_while_chatting: bool = True
    hours_after_chat: Annotated[int, Field(ge=1, le=8760)] | None = Field(
        default=None, description="Not within this many hours after the visitor's last chat."
    )
    not_after_closed_this_visit: bool = Field(
        default=True, description="Not again this visit once the visitor closed one of this rule's invitations."
    )


class RuleDefinition(Strict):
    """A rule as supervisors write it: its conditions, its actions and its caps."""

    name: Name
    enabled: bool = True
    conditions: Condition
    actions: list[Action] = Field(min_length=1, max_length=MAX_ACTIONS)
    caps: Caps = Field(default_factory=Caps)

    @field_validator("conditions")
    @classmethod
    def few_nodes(cls, conditions: Condition) -> Condition:
        if count_nodes(conditions) > MAX_NODES:
            raise PydanticCustomError(
                "tree_too_large", "a rule may have at most {limit} conditions", {"limit": MAX_NODES}
            )
        return conditions

    @field_validator("actions")
    @classmethod
    def one_of_each(cls, actions: list[Action]) -> list[Action]:
        kinds = [a.type for a in actions if a.type != "tag_visitor"]
        if len(set(kinds)) != len(kinds):
            raise PydanticCustomError("duplicate_action", "each action type at most once (tag_visitor excepted)")
        return actions

    @model_validator(mode="after")
    def invite_or_open(self) -> "RuleDefinition":
        kinds = {a.type for a in self.actions}
        if {"show_invitation", "open_chat"} <= kinds:
            raise PydanticCustomError("invite_or_open", "a rule shows an invitation or opens the chat, not both")
        return self
