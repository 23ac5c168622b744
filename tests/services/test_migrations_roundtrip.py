"""Every service's migrations go down to nothing and up again, and leave the tables its models describe: a
downgrade that fails (a rollback of a bad release) or a model edited without its migration is found here, on
SQLite and on PostgreSQL."""

import asyncio
import importlib

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.migrate import alembic_config, version_table
from services.common.settings import Settings
from services.common.topology import SERVICES


def _differences(sync_connection: object, metadata: MetaData, service: str) -> list[object]:
    context = MigrationContext.configure(
        sync_connection,  # type: ignore[arg-type]
        opts={"compare_type": True, "version_table": version_table(service)},
    )
    return [d for d in compare_metadata(context, metadata) if not _is_version_table(d, service)]


def _is_version_table(difference: object, service: str) -> bool:
    """Other services' version tables (one PostgreSQL database for all) are not this one's models."""
    table = getattr(difference[1], "name", "") if isinstance(difference, tuple) and len(difference) > 1 else ""
    return str(table).startswith("alembic_version_")


@pytest.mark.parametrize("service", [spec.name for spec in SERVICES if spec.has_database])
async def test_migrations_go_down_and_up_and_match_the_models(settings: Settings, service: str) -> None:
    url = settings.database_url_for(service)
    config = alembic_config(service, url)
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
    importlib.import_module(f"services.{service}.app")  # every table of the service, wherever it is defined
    metadata: MetaData = importlib.import_module(f"services.{service}.models").metadata
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(_differences, metadata, service)
    finally:
        await engine.dispose()
    assert found == [], f"{service}: the database after its migrations differs from its models: {found}"
