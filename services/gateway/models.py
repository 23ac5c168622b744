"""Tables owned by the gateway: accounts, users and their roles, sites, refresh tokens."""

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint

from services.common.db import UTCDateTime, new_metadata

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
    Column("revoked_at", UTCDateTime, nullable=True),
    UniqueConstraint("token_hash"),
)
