"""Helpers for tests: real PostgreSQL databases per test, running apps, identities."""

import asyncio
import inspect
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI

from services.common.runner import server_config
from services.common.settings import Settings
from services.common.tokens import INTERNAL_HEADER, Identity, internal_token

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Widget sessions from an HTTP library's user agent are robots (no chat): tests speak as a browser.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


async def create_pg_database() -> str:
    name = f"fw_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan and give an HTTP client speaking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def as_identity(settings: Settings, identity: Identity) -> dict[str, str]:
    """The header the gateway adds for an authenticated caller."""
    return {INTERNAL_HEADER: internal_token(identity, settings.internal_secret)}


def operator(account_id: str = "acc-1", user_id: str = "user-1", name: str = "Olga") -> Identity:
    return Identity(kind="user", account_id=account_id, user_id=user_id, role="operator", name=name)


def visitor(account_id: str = "acc-1", site_id: str = "site-1", visitor_id: str | None = None) -> Identity:
    return Identity(kind="visitor", account_id=account_id, site_id=site_id, visitor_id=visitor_id or str(uuid.uuid4()))


@asynccontextmanager
async def live_server(app: FastAPI, settings: Settings | None = None, port: int = 0) -> AsyncIterator[str]:
    """Serve an app on a free loopback port with the product's socket limits; yields its base URL."""
    s = settings or Settings()
    server = uvicorn.Server(server_config(app, s, port, "127.0.0.1"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def eventually(check: Callable[[], bool | Awaitable[bool]], seconds: float = 20.0) -> bool:
    """Wait until `check` holds (a consumer in a background task catching up); False if it never did."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_embedded(data_dir: Path, port: int, **extra_env: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FW_MODE": "embedded",
        "FW_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "METRICS_PORT": "0",  # PORT + 1000 could be another test's free port
        "DEMO_TRAFFIC": "false",  # no simulated visitors in the tests' live lists, unless a test asks
        **extra_env,
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
