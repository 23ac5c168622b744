"""The distributed mode on one machine: every service its own uvicorn process, PostgreSQL and Redis.

    python scripts/stack.py up      start (migrations first), print the URLs, return
    python scripts/stack.py down    stop what `up` started

Also used by the cross-service tests and the benchmarks (`Stack(...)` as a context manager).
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

import asyncpg
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.common.topology import SERVICES  # noqa: E402

PG_ADMIN_DSN = os.environ.get("STACK_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DEFAULT_REDIS = os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379/0")


async def forget_redis_keys(redis_url: str, prefix: str) -> None:
    """Delete every key under `prefix` (`REDIS_PREFIX`): a stack's or a test's streams and live lists."""
    redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 1000):
            await redis.delete(*keys[start : start + 1000])
    finally:
        await redis.aclose()


class Stack:
    """Processes of the distributed mode; ports are the topology's plus `port_offset`."""

    def __init__(
        self,
        database: str = "floorwalker",
        port_offset: int = 0,
        redis_url: str = DEFAULT_REDIS,
        redis_prefix: str = "fw",
        state_dir: Path = ROOT / ".stack",
        extra_env: dict[str, str] | None = None,
        services: tuple[str, ...] | None = None,
    ) -> None:
        self.database = database
        self.port_offset = port_offset
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self.state_dir = state_dir
        self.extra_env = extra_env or {}
        self.names = services or tuple(s.name for s in SERVICES)
        # Random for each stack (a fixed value in this file would be public): its processes share them.
        self.secrets = {
            name: os.environ.get(name) or secrets.token_hex(32) for name in ("JWT_SECRET", "INTERNAL_SECRET")
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def port(self, name: str) -> int:
        return next(s.port for s in SERVICES if s.name == name) + self.port_offset

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    @property
    def gateway_url(self) -> str:
        return self.url("gateway")

    @property
    def database_url(self) -> str:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{self.database}"

    def env(self, name: str) -> dict[str, str]:
        env = {
            **os.environ,
            "FW_MODE": "distributed",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.redis_prefix,
            **self.secrets,
            "PUBLIC_URL": self.gateway_url,
            "PORT": str(self.port(name)),
            "HOST": "127.0.0.1",
            "LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
            **{s.url_env: self.url(s.name) for s in SERVICES if s.name != "gateway"},
            **self.extra_env,
        }
        return env

    async def create_database(self) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", self.database):
                await conn.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await conn.close()

    async def drop_data(self) -> None:
        """Forget this stack's data: its database and its Redis keys (streams, live lists)."""
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await conn.close()
        await forget_redis_keys(self.redis_url, self.redis_prefix)

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "services.common.migrate", *self.names],
            cwd=ROOT,
            env=self.env("gateway"),
            check=True,
        )

    def start(self) -> None:
        import asyncio

        asyncio.run(self.create_database())
        self.migrate()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            self._spawn(name)
        self.wait_ready()

    def _spawn(self, name: str) -> None:
        with open(self.state_dir / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=ROOT,
                env=self.env(name),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        (self.state_dir / f"{name}.pid").write_text(str(self.processes[name].pid))

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for name in self.names:
            while True:
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see {self.state_dir / (name + '.log')}"
                    )
                try:
                    with urllib.request.urlopen(self.url(name) + "/readyz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready after {timeout}s")
                time.sleep(0.1)

    def stop_service(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart_service(self, name: str, *, kill: bool = False) -> None:
        """Stop a service (SIGTERM; with `kill`, SIGKILL: a crash, nothing shut down) and start it again."""
        if kill and name in self.processes:
            crashed = self.processes.pop(name)
            crashed.kill()
            crashed.wait()
        self.stop_service(name)
        self._spawn(name)
        self.wait_ready()

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_service(name)

    def __enter__(self) -> "Stack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()


def _stop_from_pid_files(state_dir: Path) -> None:
    for pid_file in state_dir.glob("*.pid"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down"])
    args = parser.parse_args()
    stack = Stack()
    if args.command == "down":
        _stop_from_pid_files(stack.state_dir)
        print("stopped")
        return
    _stop_from_pid_files(stack.state_dir)
    stack.start()
    print(f"\n  Floorwalker is running (distributed mode, logs in {stack.state_dir})")
    for name in stack.names:
        print(f"  {name:<10} {stack.url(name)}  (pid {stack.processes[name].pid})")
    print(f"  Console: {stack.gateway_url}/console/   Demo shop: {stack.gateway_url}/demo/")
    print("  Stop with: make down\n")


if __name__ == "__main__":
    main()
