"""Configuration of every Floorwalker process, read from environment variables only."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.secret_store import SECRET_NAMES, data_folder_secrets, secret_problem


class Settings(BaseSettings):
    """Every variable is documented in README.md (Configuration)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, hide_input_in_errors=True)

    fw_mode: Literal["embedded", "distributed"] = "embedded"
    data_dir: Path = Field(Path("data"), validation_alias=AliasChoices("FW_DATA_DIR", "data_dir"))
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "fw"
    host: str = "127.0.0.1"
    port: int | None = None
    public_url: str = "http://127.0.0.1:8000"
    chat_url: str | None = None
    tracking_url: str | None = None
    rules_url: str | None = None
    reporting_url: str | None = None
    # No defaults: set, or (embedded) made at first start in FW_DATA_DIR (`_signing_secrets`). Never in a repr.
    jwt_secret: str = Field("", repr=False)
    internal_secret: str = Field("", repr=False)
    admin_api_key: str | None = None
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    visitor_token_ttl: int = 365 * 24 * 3600
    max_message_bytes: int = 4096
    ws_max_frame_bytes: int = 65536
    ws_ping_interval: float = 20.0
    ws_idle_timeout: float = 60.0
    ws_auth_timeout: float = Field(5.0, gt=0)  # seconds a new socket has to send its `auth` frame
    ws_messages_per_10s: int = Field(50, ge=0)  # `message.send` frames per socket (0: no limit)
    ws_visitor_messages_per_10s: int = Field(100, ge=0)  # per visitor, all their sockets (0: no limit)
    ws_frames_per_10s: int = Field(300, ge=0)  # frames of any type per socket (0: no limit)
    ws_typing_per_10s: int = Field(60, ge=0)  # `typing` frames per socket (0: no limit)
    console_origins: str = ""
    live_idle_seconds: int = 300
    invitation_ttl_seconds: int = Field(300, ge=1, le=86_400)  # an unanswered invitation expires after this
    presence_grace_seconds: float = Field(60.0, gt=0)  # a console silent this long: its operator goes offline
    presence_heartbeat_seconds: float = Field(15.0, gt=0)  # how often gateways report the operator sockets they hold
    offer_timeout_seconds: float = Field(30.0, gt=0)  # an offered chat not accepted this long goes to the next operator
    visitor_left_after_seconds: float = Field(120.0, gt=0)  # a waiting chat's visitor unseen this long: "visitor left"
    abandon_after_seconds: float = Field(600.0, gt=0)  # ... and still gone this much longer: closed as abandoned
    routing_webhook_timeout_seconds: float = Field(2.0, gt=0)  # a queue's external router must answer within this
    routing_webhook_private_addresses: bool = False  # a queue's router may be on a private/loopback address
    outbox_poll_interval: float = 1.0
    # Tickets by email (OFF-1..3, `services/chat/tickets/`): SMTP_HOST empty: mail stays queued, nothing is sent.
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = Field("", repr=False)
    smtp_starttls: bool = False
    mail_from: str = "Floorwalker <no-reply@floorwalker.invalid>"
    mail_reply_domain: str = "reply.floorwalker.invalid"  # replies go to ticket+<id>.<hmac>@ this domain
    inbound_email_secret: str = Field("", repr=False)  # X-Floorwalker-Inbound-Secret; empty: inbound refused
    # Attachments (CHAT-10, `services/chat/attachments/`): the largest file, and where files are kept (empty:
    # `<FW_DATA_DIR>/attachments`; distributed: a volume every chat replica mounts).
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)
    attachments_dir: Path | None = None
    # SMS to an operator when a visitor starts a chat (OPS-5, `services/chat/alerts/`): a Twilio-style Messages API
    # (POST {SMS_API_URL}/Accounts/{SMS_ACCOUNT_SID}/Messages.json, basic auth). Any of the four empty: no SMS.
    sms_api_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = Field("", repr=False)
    sms_from: str = ""
    sms_timeout_seconds: float = Field(5.0, gt=0, le=60)
    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"
    demo_seed: bool = True
    demo_traffic: bool = True  # embedded: simulated visitors walk the demo shop (`services/gateway/demo/traffic.py`)
    demo_traffic_visitors: int = Field(6, ge=0, le=50)
    migrate_on_start: bool | None = None
    static_dir: Path = Path("clients")
    trusted_proxies: str = ""
    robot_burst_pages: int = 20
    robot_burst_seconds: float = 10.0
    retention_interval_seconds: float = 3600.0
    rate_limit_ip_per_minute: int = 1200
    rate_limit_visitor_per_minute: int = 300
    rate_limit_site_per_second: int = 5000
    login_attempts_per_15min: int = Field(10, ge=0)  # per e-mail address (0: no limit)
    login_attempts_per_ip_per_15min: int = Field(100, ge=0)  # per client address (0: no limit)
    track_backlog_limit: int = Field(100_000, ge=1, le=150_000)
    tracking_nice: int = Field(0, ge=0, le=19)  # a deployment's choice (README); 0: an equal share
    hsts_seconds: int = Field(31_536_000, ge=0)
    metrics_port: int | None = Field(None, ge=0, le=65535)

    def database_url_for(self, service: str) -> str:
        """`<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else a SQLite file per service in FW_DATA_DIR."""
        override = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if override:
            return override
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def attachments_path(self) -> Path:
        """Where the local file store keeps attachments: ATTACHMENTS_DIR, else `attachments` in FW_DATA_DIR."""
        return self.attachments_dir or self.data_dir / "attachments"

    def should_migrate_on_start(self) -> bool:
        """Embedded processes migrate their own tables; distributed ones leave it to the migrate job."""
        return self.fw_mode == "embedded" if self.migrate_on_start is None else self.migrate_on_start

    def service_url(self, service: str) -> str | None:
        return getattr(self, f"{service}_url", None)

    def allowed_console_origins(self) -> set[str]:
        origins = {o.strip().rstrip("/") for o in self.console_origins.split(",") if o.strip()}
        origins.add(self.public_url.rstrip("/"))
        return origins

    @model_validator(mode="after")
    def _signing_secrets(self) -> Self:
        """A secret that is set must be usable (long, not a public development value), in every mode; the
        embedded mode fills the unset ones from its data folder (made there at first start, mode 0600)."""
        for name in SECRET_NAMES:
            value = getattr(self, name)
            problem = secret_problem(value) if value else None
            if problem:
                raise ValueError(f"{name.upper()} {problem}: use a long random value (openssl rand -hex 32)")
        if self.fw_mode == "embedded" and not all(getattr(self, name) for name in SECRET_NAMES):
            stored = data_folder_secrets(self.data_dir)
            for name in SECRET_NAMES:
                if not getattr(self, name):
                    setattr(self, name, stored[name])
        return self

    def check_production_secrets(self) -> None:
        """Refuse to serve without usable signing secrets (the distributed mode has no data-folder ones)."""
        for name in SECRET_NAMES:
            problem = secret_problem(getattr(self, name))
            if problem:
                raise RuntimeError(f"{name.upper()} {problem}: set it to a long random value (openssl rand -hex 32)")


@lru_cache
def get_settings() -> Settings:
    return Settings()
