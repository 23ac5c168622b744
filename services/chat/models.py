"""Tables owned by the chat service."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import outbox_table, processed_events_table

metadata = new_metadata()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=True),
    Column("visitor_id", String(36), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("assigned_user_id", String(36), nullable=True),
    Column("assigned_user_name", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("closed_by", String(16), nullable=True),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("last_message_at", UTCDateTime, nullable=True),
    # Started by accepting an invitation: which, and the rule and variant that offered it (null: an operator's).
    Column("invitation_id", String(64), nullable=True),
    Column("rule_id", String(64), nullable=True),
    Column("variant", String(64), nullable=True),
    # Routing (`routing/`): the queue it waits in, the operator it is offered to now and until when, and the
    # operators who let an offer of it expire (asked again only when nobody else can take it).
    Column("queue_id", String(36), nullable=True),
    Column("offered_user_id", String(36), nullable=True),
    Column("offered_at", UTCDateTime, nullable=True),
    Column("offer_expires_at", UTCDateTime, nullable=True),
    Column("passed_over", JSON, nullable=True),
    Column("queued_at", UTCDateTime, nullable=True),  # when it moved to its queue by failover (null: at its start)
    # The visitor's side (`routing/visitors.py`): their last sign (socket, start), when a waiting chat's visitor was
    # found gone, why it closed ("closed" | "abandoned"), whether it closed unanswered, operators who declined it.
    Column("visitor_seen_at", UTCDateTime, nullable=True),
    Column("visitor_left_at", UTCDateTime, nullable=True),
    Column("closed_reason", String(16), nullable=True),
    Column("missed", Boolean, nullable=False, default=False, server_default=false()),
    Column("declined_by", JSON, nullable=True),
    # "direct" (one visitor: `visitor_id`) or "group" (CHAT-7: its visitors in `conversation_visitors`, no visitor_id).
    Column("kind", String(16), nullable=False, default="direct", server_default="direct"),
    # The visitor's language (the widget's, a BCP 47 tag): operators speaking it are offered it first (ROUTE-3).
    Column("language", String(16), nullable=True),
    Index("ix_conversations_account_state", "account_id", "state", "created_at"),
    Index("ix_conversations_offer_expires_at", "state", "offer_expires_at"),
    Index("ix_conversations_visitor", "visitor_id", "state"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("client_msg_id", String(64), nullable=False),
    Column("sender_type", String(16), nullable=False),
    Column("sender_id", String(36), nullable=True),
    Column("sender_name", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # CHAT-5 (`message_edits.py`): 0 as written, +1 per edit or retraction; a retracted message's text is "".
    Column("revision", Integer, nullable=False, default=0, server_default="0"),
    Column("edited_at", UTCDateTime, nullable=True),
    Column("retracted_at", UTCDateTime, nullable=True),
    Column("quote_seq", Integer, nullable=True),  # the earlier message of the conversation it quotes (its seq)
    # CHAT-10 (`attachments/`): the file it carries, `{id, name, content_type, size}` (null: text only).
    Column("attachment", JSON, nullable=True),
    UniqueConstraint("conversation_id", "seq"),
    UniqueConstraint("conversation_id", "client_msg_id"),
)

# The versions of an edited or retracted message (CHAT-5, `message_edits.py`): revision 0 as written, then each
# edit ("edited", its new text) and the retraction ("retracted", no text); managers read them.
message_versions = Table(
    "message_versions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", String(36), ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("action", String(16), nullable=False),  # "created" | "edited" | "retracted"
    Column("text", Text, nullable=False),
    Column("by_type", String(16), nullable=False),  # "operator" | "visitor"
    Column("by_id", String(36), nullable=True),
    Column("by_name", String(200), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("message_id", "revision"),
    Index("ix_message_versions_conversation", "conversation_id"),
)

outbox = outbox_table(metadata, "chat")
processed = processed_events_table(metadata, "chat")  # events consumed (visitor.erased), each handled once

# How far each reader of a conversation has read (EMB-8, `read_marks.py`): its visitor, and each operator in it.
read_marks = Table(
    "chat_read_marks",
    metadata,
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("reader_id", String(36), nullable=False),  # the visitor's id, or the operator's user id
    Column("account_id", String(36), nullable=False),
    Column("reader", String(16), nullable=False),  # "visitor" | "operator"
    Column("seq", Integer, nullable=False),  # the last message seq they saw
    Column("read_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id", "reader_id"),
)

# Realtime frames written with the change they announce and deleted once published (`realtime.py`): a frame
# whose publish failed, or whose process died before publishing it, is published again from here.
realtime_pending = Table(
    "chat_realtime_pending",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channels", Text, nullable=False),  # space-separated bus channels (a conversation's audience: many)
    Column("frame", Text, nullable=False),  # the frame's JSON
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_chat_realtime_pending_created_at", "created_at"),
)

# Departments (ROUTE-1): one queue of operators with hours, priority, strategy and failover (`queues.py`).
queues = Table(
    "queues",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("welcome_message", Text, nullable=True),
    Column("hours", JSON, nullable=True),  # `hours.OpeningHours` as JSON; null: always open
    Column("priority", Integer, nullable=False),
    Column("strategy", String(32), nullable=False),
    Column("max_wait_seconds", Integer, nullable=False),
    Column("failover_queue_id", String(36), nullable=True),
    Column("sections", JSON, nullable=False),  # section names or URL prefixes where its chat button shows
    Column(
        "webhook_url", String(500), nullable=True
    ),  # `external_webhook`: asked which operator (`routing/webhook.py`)
    Column("webhook_secret", String(200), nullable=True),  # signs those requests (HMAC-SHA256); never shown
    # ROUTE-3: seconds an operator must have had no offer before this queue offers them a chat (0: none).
    Column("min_gap_seconds", Integer, nullable=False, default=0, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "name"),
)

queue_members = Table(
    "queue_members",
    metadata,
    Column("queue_id", String(36), ForeignKey("queues.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("priority", Integer, nullable=False),
    PrimaryKeyConstraint("queue_id", "user_id"),
    Index("ix_queue_members_account_user", "account_id", "user_id"),
)

# Presence (ROUTE-2): every user of an account chat has heard from, with their state and capacity override.
operators = Table(
    "chat_operators",
    metadata,
    Column("account_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("name", String(200), nullable=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("max_chats", Integer, nullable=True),  # null: the account's default
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),  # last sign of the console (socket heartbeat, a call)
    Column("last_offered_at", UTCDateTime, nullable=True),  # the last chat routing offered them (round robin, idle)
    Column("languages", JSON, nullable=True),  # languages they speak (primary subtags, "de", "fr"); null: unset
    PrimaryKeyConstraint("account_id", "user_id"),
)

account_settings = Table(
    "chat_account_settings",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("default_max_chats", Integer, nullable=False),
)

# Who is in a conversation besides its assigned operator (`participants.py`, CHAT-6, OPS-7): operators invited
# into it ("invited", they see and write) and supervisors or admins watching it ("watching", silent).
conversation_participants = Table(
    "conversation_participants",
    metadata,
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("name", String(200), nullable=True),
    Column("role", String(16), nullable=False),  # "invited" | "watching"
    Column("added_by", String(36), nullable=True),
    Column("added_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id", "user_id"),
    Index("ix_conversation_participants_account_user", "account_id", "user_id"),
)

# The visitors of a group conversation (`group.py`, CHAT-7), each with the name the others see.
conversation_visitors = Table(
    "conversation_visitors",
    metadata,
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("visitor_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=False),
    Column("name", String(200), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id", "visitor_id"),
    Index("ix_conversation_visitors_visitor", "account_id", "visitor_id"),
)

# Canned responses (OPS-3, `canned.py`): a text an operator inserts with `/shortcut`, for the whole account
# (`scope` "account", queue_id null) or one queue (`scope` its id); a shortcut is unique within its scope.
canned_responses = Table(
    "canned_responses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("scope", String(36), nullable=False),  # "account" or the queue's id: NULLs are never equal in UNIQUE
    Column("queue_id", String(36), nullable=True),
    Column("shortcut", String(32), nullable=False),  # lower case
    Column("title", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "scope", "shortcut", name="uq_canned_responses_scope_shortcut"),
)

# Support materials (OPS-4, `materials.py`): documents, links and scripts at hand during a chat, for the whole
# account or one queue, optionally one campaign's.
materials = Table(
    "support_materials",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),  # "document" | "link" | "script"
    Column("title", String(200), nullable=False),
    Column("url", String(2000), nullable=True),
    Column("text", Text, nullable=True),
    Column("queue_id", String(36), nullable=True),
    Column("campaign", String(100), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_support_materials_account", "account_id", "queue_id"),
)

# Tickets (OFF-1..3, `tickets/`): an offline message, after-hours message or a chat the visitor would not wait
# for, answered by email; its thread in `ticket_messages` (the visitor's, by the form or by email, and replies).
tickets = Table(
    "tickets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("site_id", String(36), nullable=True),
    Column("visitor_id", String(36), nullable=True),
    Column("queue_id", String(36), nullable=True),
    Column("conversation_id", String(36), nullable=True),  # the chat it came from (OFF-2)
    Column("name", String(200), nullable=True),
    Column("email", String(320), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("state", String(16), nullable=False),  # "open" | "answered" | "closed"
    Column("origin", String(16), nullable=False),  # "offline_form" | "chat"
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_tickets_account_state", "account_id", "state", "updated_at"),
)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(36), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("sender_type", String(16), nullable=False),  # "visitor" | "operator"
    Column("sender_id", String(36), nullable=True),
    Column("sender_name", String(200), nullable=True),
    Column("channel", String(16), nullable=False),  # "web" | "email" | "chat"
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_ticket_messages_ticket", "ticket_id", "created_at"),
)

# Email to send (`tickets/mailer.py`), written with what it announces: sent by a background sender, retried
# with backoff while the SMTP server fails; `sent_at` set once it went.
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("ticket_id", String(36), nullable=True),
    Column("conversation_id", String(36), nullable=True),  # a transcript's
    Column("kind", String(16), nullable=False),  # "reply" | "transcript"
    Column("to_address", String(320), nullable=False),
    Column("reply_to", String(320), nullable=True),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),
)

# Files sent in a conversation (CHAT-10, `attachments/`): what each is (by its content), who sent it, and the message
# that carries it; the bytes are in the attachment store under the id (`attachments/storage.py`).
attachments = Table(
    "chat_attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("message_id", String(36), nullable=True),  # null: stored, its message not (yet) written
    Column("name", String(200), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("sender_type", String(16), nullable=False),  # "visitor" | "operator"
    Column("sender_id", String(36), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_chat_attachments_conversation", "conversation_id"),
)

# A visitor's post-chat rating (EMB-10, `ratings.py`): one per conversation, by its visitor, after it closed.
conversation_ratings = Table(
    "conversation_ratings",
    metadata,
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("visitor_id", String(36), nullable=False),
    Column("score", Integer, nullable=False),  # 1 (very bad) .. 5 (very good)
    Column("comment", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_conversation_ratings_account", "account_id", "created_at"),
)
