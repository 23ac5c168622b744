"""Request and response bodies of the pre-chat form (EMB-3), the customer card (CHAT-8), internal notes (OPS-5)
and the history of closed chats (OPS-3)."""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldMode = Literal["off", "optional", "required"]
EMAIL = re.compile(
    r"^[^@\s<>\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-]{6,30}$")
MAX_NOTE_BYTES = 4096


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_QUESTION_CHARS = 200


class PrechatFields(Strict):
    """Which fields the pre-chat form asks, each `off`, `optional` or `required`, and the text of the site's own
    question (`question_label`, needed when `question` is asked). All `off` (the default): no form is shown."""

    name: FieldMode = "off"
    email: FieldMode = "off"
    phone: FieldMode = "off"
    question: FieldMode = "off"
    question_label: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS)

    @field_validator("question_label")
    @classmethod
    def label_trimmed(cls, value: str | None) -> str | None:
        value = _blank_to_none(value)
        if value is not None and any(ord(ch) < 32 for ch in value):
            raise ValueError("one line of text, without control characters")
        return value

    @model_validator(mode="after")
    def question_has_a_label(self) -> "PrechatFields":
        if self.question != "off" and not self.question_label:
            raise ValueError("a question that is asked needs its text (`question_label`)")
        return self

    @property
    def shown(self) -> bool:
        return any(mode != "off" for mode in (self.name, self.email, self.phone, self.question))


class PrechatFormOut(BaseModel):
    site_id: str
    fields: PrechatFields


class VisitorPrechatForm(BaseModel):
    """What the widget needs: the form (`shown` false: none), and whether this visitor answered it already."""

    fields: PrechatFields
    shown: bool = Field(description="The form asks something: show it before the first message.")
    answered: bool = Field(description="This visitor sent their answers before (the widget does not ask again).")


class PrechatAnswerOut(BaseModel):
    """The visitor's latest answers to the pre-chat form's own question."""

    question: str | None
    answer: str | None
    answered_at: datetime


def normal_email(value: str) -> str:
    value = value.strip()
    if len(value) > 320 or not EMAIL.fullmatch(value):
        raise ValueError("not an email address")
    return value.lower()


def normal_phone(value: str) -> str:
    """Digits (a leading `+` kept): `+49 (30) 123-456` is `+4930123456`; 6 to 15 digits."""
    value = value.strip()
    if not PHONE_CHARACTERS.fullmatch(value):
        raise ValueError("a phone number has digits, spaces, `+`, `-`, `.`, `(` and `)` only")
    digits = re.sub(r"\D", "", value)
    if not 6 <= len(digits) <= 15:
        raise ValueError("a phone number has 6 to 15 digits")
    return ("+" if value.startswith("+") else "") + digits


class PrechatAnswers(Strict):
    """What the visitor filled in; checked against the site's form (a required field missing: 422)."""

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    question: str | None = Field(default=None, max_length=2000)

    @field_validator("name", "question")
    @classmethod
    def trimmed(cls, value: str | None) -> str | None:
        return _blank_to_none(value)

    @field_validator("email")
    @classmethod
    def email_shape(cls, value: str | None) -> str | None:
        value = _blank_to_none(value)
        return normal_email(value) if value else None

    @field_validator("phone")
    @classmethod
    def phone_digits(cls, value: str | None) -> str | None:
        value = _blank_to_none(value)
        return normal_phone(value) if value else None


class PrechatAccepted(BaseModel):
    contact: bool = Field(description="True when the answers named a contact (an email or a phone).")


class IdentifiedVisitor(Strict):
    """From the gateway, after the site identified its visitor (`widget/identify`)."""

    user_id: str = Field(min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    verified: bool = False


LinkedBy = Literal["site", "prechat_form"]


class ContactOut(BaseModel):
    id: str
    name: str | None
    email: str | None
    phone: str | None
    identified: bool = Field(
        description="The site identified this person (`widget/identify`), for some visitor: not necessarily this one."
    )
    created_at: datetime
    linked_by: LinkedBy = Field(
        default="prechat_form",
        description="How this conversation's visitor was attached to the contact: `site` (the site's identify, "
        "signed or not) or `prechat_form` (an email, phone or name the visitor typed: anyone can type anyone's email).",
    )
    verified: bool = Field(
        default=False,
        description="The site vouched that this visitor is this person: `linked_by` is `site` and its identify was "
        "signed with the site secret. False: unverified (typed in the form, or an unsigned identify).",
    )


class ConversationSummary(BaseModel):
    """One conversation in the customer card or the history: who, when, and its first line."""

    id: str
    state: str
    created_at: datetime
    closed_at: datetime | None
    operator_name: str | None
    visitor_name: str | None = None
    visitor_email: str | None = None
    first_line: str | None = Field(description="The first message's text, cut at 200 characters.")


class ContactCard(BaseModel):
    contact: ContactOut | None = Field(description="Null: the visitor gave no email or phone and was not identified.")
    prechat: PrechatAnswerOut | None = Field(
        default=None, description="The visitor's answer to the pre-chat form's question, if they gave one."
    )
    earlier: list[ConversationSummary] = Field(
        description="The contact's (or visitor's) other conversations, newest first."
    )


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=MAX_NOTE_BYTES, description="At most 4096 bytes.")

    @field_validator("text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a note has some text")
        if len(value.encode()) > MAX_NOTE_BYTES:
            raise ValueError(f"at most {MAX_NOTE_BYTES} bytes (UTF-8)")
        return value


class NoteOut(BaseModel):
    id: str
    conversation_id: str
    author_id: str
    author_name: str | None
    text: str
    created_at: datetime


class NoteList(BaseModel):
    notes: list[NoteOut]


class TranscriptMessage(BaseModel):
    seq: int
    sender_type: str
    sender_name: str | None
    text: str
    created_at: datetime


class Transcript(BaseModel):
    """A conversation to read (never to write in): its messages and, for operators, its notes."""

    conversation: ConversationSummary
    messages: list[TranscriptMessage]
    notes: list[NoteOut]


class HistoryPage(BaseModel):
    conversations: list[ConversationSummary]
    total: int = Field(description="How many closed conversations match (for pages).")
    offset: int
    limit: int
