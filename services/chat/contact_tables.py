"""Tables of the customer card (CHAT-8), internal notes (OPS-5) and the pre-chat form (EMB-3).

- `contacts`: one person of an account, known by an email, a phone or the id the site identified them with
  (each unique in the account); `visitor_contacts`: which contact a visitor is (their conversations are the
  contact's), since when, and how (the site's identify, signed or not, or the pre-chat form). Kept apart from
  `conversations`, which others change.
- `conversation_notes`: what operators write for each other inside a conversation; never a message, so it
  never reaches the visitor (their channel, their fetch, their transcript).
- `prechat_forms`: each site's pre-chat form (which fields, each off / optional / required; the question's text);
  `prechat_answers`: a visitor's latest answers to it (the question asked and the answer), shown on the card.
- `chat_sites`: the gateway's sites as chat knows them (`site.created/updated/deleted`, services/common/sites.py):
  an admin names a site in `prechat-forms` only if it is one of their account's.
"""

from sqlalchemy import JSON, Column, ForeignKey, Index, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from services.chat.models import metadata
from services.common.db import UTCDateTime
from services.common.sites import sites_table

contacts = Table(
    "chat_contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("external_id", String(256), nullable=True),  # the site's user id (`widget/identify`)
    Column("name", String(200), nullable=True),
    Column("email", String(320), nullable=True),  # lower case
    Column("phone", String(20), nullable=True),  # digits, with a leading "+" when given
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "external_id", name="uq_chat_contacts_external_id"),
    UniqueConstraint("account_id", "email", name="uq_chat_contacts_email"),
    UniqueConstraint("account_id", "phone", name="uq_chat_contacts_phone"),
)

visitor_contacts = Table(
    "visitor_contacts",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("visitor_id", String(36), nullable=False),
    Column("contact_id", String(36), ForeignKey("chat_contacts.id", ondelete="CASCADE"), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
    # how: `site_signed` / `site_unsigned` (the site's identify, its signature checked or none), `prechat_form`
    # (typed by the visitor); null only for a link written before the column (read as contacts.py says)
    Column("linked_by", String(16), nullable=True),
    PrimaryKeyConstraint("account_id", "visitor_id"),
    Index("ix_visitor_contacts_contact", "contact_id"),
)

conversation_notes = Table(
    "conversation_notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("author_id", String(36), nullable=False),
    Column("author_name", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_conversation_notes_conversation", "conversation_id", "created_at"),
)

prechat_forms = Table(
    "prechat_forms",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("fields", JSON, nullable=False),  # {"name": "optional", "email": "off", ...}
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("account_id", "site_id"),
)

prechat_answers = Table(
    "prechat_answers",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("visitor_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("question", String(200), nullable=True),  # the form's question when answered
    Column("answer", Text, nullable=True),
    Column("answered_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("account_id", "visitor_id"),
)

chat_sites = sites_table(metadata, "chat")
