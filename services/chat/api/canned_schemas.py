"""Request and response bodies of canned responses (OPS-3) and support materials (OPS-4)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SHORTCUT_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
MAX_CANNED_TEXT_BYTES = 4096
MAX_MATERIAL_TEXT_BYTES = 16384
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s]+$"  # http(s) only: never `javascript:` nor `data:`
MaterialKind = Literal["document", "link", "script"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _within_bytes(value: str, limit: int) -> str:
    if len(value.encode("utf-8")) > limit:
        raise ValueError(f"at most {limit} bytes (UTF-8)")
    return value


class CannedIn(Strict):
    """A canned response: the whole of it (PUT replaces it)."""

    shortcut: str = Field(
        pattern=SHORTCUT_PATTERN, description="Typed after `/` in the composer; letters, digits, `-`, `_` (1-32)."
    )
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(
        min_length=1,
        max_length=MAX_CANNED_TEXT_BYTES,
        description="At most 4096 bytes; `{visitor.name}` and `{operator.name}` are filled in by the console.",
    )
    queue_id: str | None = Field(
        default=None, min_length=1, max_length=36, description="Null: the whole account's; else one queue's."
    )

    @field_validator("text")
    @classmethod
    def _text_bytes(cls, value: str) -> str:
        return _within_bytes(value, MAX_CANNED_TEXT_BYTES)


class CannedOut(BaseModel):
    id: str
    shortcut: str
    title: str
    text: str
    queue_id: str | None
    created_at: datetime
    updated_at: datetime


class CannedList(BaseModel):
    canned_responses: list[CannedOut]


class MaterialIn(Strict):
    """A support material: a link (`url`), a script (`text`) or a document (a link to a file, or a text)."""

    kind: MaterialKind
    title: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN, description="http(s) only.")
    text: str | None = Field(default=None, min_length=1, max_length=MAX_MATERIAL_TEXT_BYTES)
    queue_id: str | None = Field(default=None, min_length=1, max_length=36, description="Null: every queue.")
    campaign: str | None = Field(default=None, min_length=1, max_length=100, description="Null: every campaign.")

    @field_validator("text")
    @classmethod
    def _text_bytes(cls, value: str | None) -> str | None:
        return None if value is None else _within_bytes(value, MAX_MATERIAL_TEXT_BYTES)


class MaterialOut(BaseModel):
    id: str
    kind: MaterialKind
    title: str
    url: str | None
    text: str | None
    queue_id: str | None
    campaign: str | None
    created_at: datetime
    updated_at: datetime


class MaterialList(BaseModel):
    materials: list[MaterialOut]
