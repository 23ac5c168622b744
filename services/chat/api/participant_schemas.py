"""Request bodies of who is in a conversation: transfer, invite (CHAT-6), group conversations (CHAT-7)."""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from services.common.validation import ID_PATTERN

TargetId = Annotated[str, Field(min_length=1, max_length=36)]
NOTE = Field(default=None, min_length=1, max_length=1000, description="For the colleague (not shown to the visitor).")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


ONE_TARGET: JsonDict = {
    "oneOf": [
        {"required": ["to_operator_id"], "not": {"required": ["to_queue_id"]}},
        {"required": ["to_queue_id"], "not": {"required": ["to_operator_id"]}},
    ]
}


class Transfer(Strict):
    """Exactly one target: an operator of the account, or one of its queues."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=ONE_TARGET)

    to_operator_id: TargetId | SkipJsonSchema[None] = None  # null: absent (the schema says string)
    to_queue_id: TargetId | SkipJsonSchema[None] = None
    note: str | None = NOTE

    @model_validator(mode="after")
    def one_target(self) -> Self:
        if (self.to_operator_id is None) == (self.to_queue_id is None):
            raise ValueError("give exactly one of to_operator_id and to_queue_id")
        return self


class Invite(Strict):
    operator_id: str = Field(min_length=1, max_length=36)
    note: str | None = NOTE


class GroupVisitorIn(Strict):
    visitor_id: str = Field(pattern=ID_PATTERN)
    site_id: str = Field(min_length=1, max_length=36)


class StartGroup(Strict):
    """The gateway, once it checked every visitor is the account's: the group conversation to start."""

    visitors: list[GroupVisitorIn] = Field(min_length=2, max_length=20)
    text: str = Field(min_length=1, description="The operator's first message, to all of them.")

    @model_validator(mode="after")
    def distinct(self) -> Self:
        if len({v.visitor_id for v in self.visitors}) != len(self.visitors):
            raise ValueError("each visitor once")
        return self
