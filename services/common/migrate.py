"""Alembic migrations per service: `python -m services.common.migrate gateway chat ...`.

Each service keeps its history in `services/<name>/migrations/` with its own version table
(`alembic_version_<name>`), so all services can share one PostgreSQL database.
"""

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.settings import Settings, get_settings
from services.common.topology import SERVICES

SERVICES_DIR = Path(__file__).resolve().parent.parent
log = logging.getLogger("floorwalker.migrate")


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def upgrade(service: str, url: str) -> None:
    """Bring one service's tables to the newest revision (blocking; call from a thread when async)."""
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(service, url), "head")


async def upgrade_async(service: str, url: str) -> None:
    await asyncio.to_thread(upgrade, service, url)


def _render_item(type_: str, obj: Any, _: Any) -> str | Literal[False]:
    """Write our UTC datetime type as the plain SQL type it stands for."""
    from services.common.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    from alembic import context

    config = context.config
    service = config.attributes.get("service") or Path(config.get_main_option("script_location") or "").parent.name
    url = config.get_main_option("sqlalchemy.url") or ""

    def configure(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table(service),
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(configure)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO)
    settings: Settings = get_settings()
    names = argv or [s.name for s in SERVICES]
    known = {s.name for s in SERVICES}
    for name in names:
        if name not in known:
            print(f"unknown service {name!r}; known: {', '.join(sorted(known))}", file=sys.stderr)
            return 2
        upgrade(name, settings.database_url_for(name))
        log.info("migrated %s", name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
