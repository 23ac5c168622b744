"""Configuration of every Floorwalker process, read from environment variables only."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_PREFIX = "dev-insecure-"


class Settings(BaseSettings):
    """Every variable is documented in README.md (Configuration)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

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
    jwt_secret: str = DEV_SECRET_PREFIX + "jwt-secret-for-local-use-only"
    internal_secret: str = DEV_SECRET_PREFIX + "internal-secret-for-local-use-only"
    admin_api_key: str | None = None
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    visitor_token_ttl: int = 365 * 24 * 3600
    max_message_bytes: int = 4096
    ws_max_frame_bytes: int = 65536
    ws_ping_interval: float = 20.0
    ws_idle_timeout: float = 60.0
    console_origins: str = ""
    live_idle_seconds: int = 300
    outbox_poll_interval: float = 1.0
    log_format: Literal["json", "text"] = "text"
    log_level: str = "INFO"
    demo_seed: bool = True
    migrate_on_start: bool | None = None
    static_dir: Path = Path("clients")
    trusted_proxies: str = ""
    robot_burst_pages: int = 20
    robot_burst_seconds: float = 10.0
    retention_interval_seconds: float = 3600.0
    rate_limit_ip_per_minute: int = 1200
    rate_limit_visitor_per_minute: int = 300
    rate_limit_site_per_second: int = 5000
    track_backlog_limit: int = Field(100_000, ge=1, le=150_000)
    tracking_nice: int = Field(10, ge=0, le=19)

    def database_url_for(self, service: str) -> str:
        """`<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else a SQLite file per service in FW_DATA_DIR."""
        override = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if override:
            return override
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def should_migrate_on_start(self) -> bool:
        """Embedded processes migrate their own tables; distributed ones leave it to the migrate job."""
        return self.fw_mode == "embedded" if self.migrate_on_start is None else self.migrate_on_start

    def service_url(self, service: str) -> str | None:
        return getattr(self, f"{service}_url", None)

    def allowed_console_origins(self) -> set[str]:
        origins = {o.strip().rstrip("/") for o in self.console_origins.split(",") if o.strip()}
        origins.add(self.public_url.rstrip("/"))
        return origins

    def check_production_secrets(self) -> None:
        """Refuse the built-in development secrets outside the embedded mode."""
        if self.fw_mode == "distributed" and os.environ.get("FW_ALLOW_DEV_SECRETS") != "1":
            for name in ("jwt_secret", "internal_secret"):
                if getattr(self, name).startswith(DEV_SECRET_PREFIX):
                    raise RuntimeError(f"{name.upper()} must be set in the distributed mode")


@lru_cache
def get_settings() -> Settings:
    return Settings()
