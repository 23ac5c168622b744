"""Tables owned by the gateway: accounts, users and their roles, invitations, sites, refresh tokens, the audit
log and the outbox of its events (`site.*`)."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, UniqueConstraint

from services.common.db import UTCDateTime, new_metadata
from services.common.outbox import outbox_table

metadata = new_metadata()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime, nullable=True),
)

# A user's photo (EMB-3, EMB-9), at most one: the image as uploaded (checked by content), served without a token at
# `/photos/<id>` (`photos.py`); `id` is random and new with each upload, so the address is unguessable and an
# address never changes what it shows.
PHOTO_PREFIX = "/photos/"
user_photos = Table(
    "user_photos",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("site_key", String(64), nullable=False, unique=True),
    Column("domains", JSON, nullable=False),
    Column("allowed_origins", JSON, nullable=False),
    Column("widget", JSON, nullable=False),
    Column("secret", String(64), nullable=True),  # signs the host site's identify calls (HMAC)
    Column("privacy", JSON, nullable=True),  # SitePrivacy: identity verification, consent, Do-Not-Track
    Column("blocking", JSON, nullable=True),  # SiteBlocking: who is answered 403 at the edge
    Column("language", String(8), nullable=False, default="auto", server_default="auto"),  # `site_language.py`
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_sites_account", "account_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),  # used up by a rotation, or its family was revoked
    # One login's chain of rotated tokens (a session): a reused token revokes them all. `sid` in access tokens.
    Column("family_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=True),
    UniqueConstraint("token_hash"),
    Index("ix_refresh_tokens_family", "family_id"),
    Index("ix_refresh_tokens_user", "user_id"),
)

# A person asked to join an account; a membership only once they accept. `user_id` is always set: an
# unknown e-mail gets its user (with the password the admin chose) made with the invitation (`new_user`),
# and that invitation is accepted by the user's first login.
account_invitations = Table(
    "account_invitations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("invited_by", String(36), nullable=True),
    Column("new_user", Boolean, nullable=False),
    Column("state", String(16), nullable=False),  # pending, accepted, declined, withdrawn
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Index("ix_account_invitations_account", "account_id", "state"),
    Index("ix_account_invitations_user", "user_id", "state"),
)

# Who changed what in an account's configuration, with the state before and after (never a secret).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(36), primary_key=True),  # UUIDv7: sorts by time
    Column("account_id", String(36), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor_type", String(16), nullable=False),  # user, system, installation
    Column("actor_id", String(36), nullable=True),
    Column("actor_name", String(200), nullable=True),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(36), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Index("ix_audit_log_account", "account_id", "id"),
    Index("ix_audit_log_entity", "account_id", "entity_type", "entity_id", "id"),
)

outbox = outbox_table(metadata, "gateway")
