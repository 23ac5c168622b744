"""Write a new Alembic revision for one service by comparing its models with its migrations.

    .venv/bin/python scripts/new_migration.py chat "add tickets"

Creates `services/<name>/migrations/` (env.py, script.py.mako, versions/) the first time.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.common.migrate import alembic_config, upgrade  # noqa: E402

ENV_PY = """from services.common.migrate import run_env
from services.{name}.models import metadata

run_env(metadata)
"""

TEMPLATE = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''


def scaffold(name: str) -> None:
    folder = ROOT / "services" / name / "migrations"
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    if not (folder / "env.py").exists():
        (folder / "env.py").write_text(ENV_PY.format(name=name))
    if not (folder / "script.py.mako").exists():
        (folder / "script.py.mako").write_text(TEMPLATE)


def main() -> None:
    name, message = sys.argv[1], sys.argv[2]
    scaffold(name)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/{name}.db"
        upgrade(name, url)
        config = alembic_config(name, url)
        command.revision(config, message=message, autogenerate=True, rev_id=None)


if __name__ == "__main__":
    main()
