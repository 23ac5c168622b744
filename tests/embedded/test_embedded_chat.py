"""The embedded mode as `make run` starts it: one process, SQLite files, the in-process bus."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat_client import chat_scenario
from tests.helpers import free_port, start_embedded


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    process = start_embedded(tmp_path, port)
    try:
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        process.terminate()
        process.wait(15)


async def test_chat_in_one_process_with_sqlite(embedded: tuple[str, Path]) -> None:
    base, data_dir = embedded
    await chat_scenario(base)
    assert {p.name for p in data_dir.glob("*.db")} >= {
        "gateway.db",
        "chat.db",
        "tracking.db",
        "rules.db",
        "reporting.db",
    }
