"""The embedded mode as `make run` starts it: one process, SQLite files, the in-process bus."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat_client import chat_scenario
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_embedded(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FW_MODE": "embedded",
        "FW_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.embedded"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stdout.read().decode() if process.stdout else "embedded mode exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise TimeoutError("embedded mode did not start")


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
