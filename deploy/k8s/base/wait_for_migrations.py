"""Init container of every Deployment: wait until the migrations Job brought this service's tables to head.

Usage: python /opt/floorwalker/wait_for_migrations.py <service>
Reads DATABASE_URL (or <SERVICE>_DATABASE_URL) like the service itself and compares the service's
Alembic version table with the heads of its migration history shipped in the same image, so a pod of
a new image waits for the Job of that image. Exits 0 once they match; retries forever otherwise.
"""

import asyncio
import sys
import time

from alembic.script import ScriptDirectory
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.migrate import alembic_config, version_table
from services.common.settings import get_settings

POLL_SECONDS = 3.0


async def applied(url: str, service: str) -> set[str]:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(f"SELECT version_num FROM {version_table(service)}"))
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


def main(service: str) -> int:
    url = get_settings().database_url_for(service)
    heads = set(ScriptDirectory.from_config(alembic_config(service, url)).get_heads())
    while True:
        try:
            current = asyncio.run(applied(url, service))
        except Exception as exc:  # database not reachable yet, version table not created yet, ...
            current, reason = set(), f"{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            reason = f"at {sorted(current) or 'nothing'}"
        if current == heads:
            print(f"{service}: migrations at head {sorted(heads)}", flush=True)
            return 0
        print(f"{service}: waiting for migrations to reach {sorted(heads)} ({reason})", flush=True)
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: wait_for_migrations.py <service>", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1]))
