"""Resident memory of the gateway per idle visitor socket.

    .venv/bin/python bench/idle_sockets.py [--sockets 5000] [--mode embedded|distributed]

Starts a gateway on port 8750 (embedded: the whole product in one process on SQLite, as `make run`;
distributed: the gateway process alone on PostgreSQL and Redis, which is all an idle socket touches),
opens `--warmup` visitor sockets (allocator and caches warm), reads the gateway's resident memory, opens
`--sockets` more (each a different visitor, authenticated by its first frame, then idle), waits for the
memory to settle and reads it again. The visitor tokens are signed here with the gateway's secret (no
widget session per socket: those are rate-limited per address, and cost nothing once the socket is open).
Last line: sockets kb_per_socket sockets_per_gb (1 GB = 2^30 bytes).
"""

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack  # noqa: E402
from services.common.ids import new_id  # noqa: E402
from services.common.tokens import Identity, visitor_token  # noqa: E402

PORT_OFFSET = 750
PORT = 8000 + PORT_OFFSET
JWT_SECRET = "idle-sockets-bench-jwt-secret-0123456789abcdef"
INTERNAL_SECRET = "idle-sockets-bench-internal-secret-0123456789"
ADMIN = ("admin@demo.example", "floorwalker")
CONCURRENCY = 100


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def settled_rss(pid: int, seconds: float = 3.0) -> int:
    """The resident memory once it stopped moving (the last of a few readings `seconds` apart)."""
    previous = -1
    current = rss_bytes(pid)
    for _ in range(10):
        if abs(current - previous) < 64 * 1024:
            break
        await asyncio.sleep(seconds)
        previous, current = current, rss_bytes(pid)
    return current


async def demo_site(base: str) -> tuple[str, str]:
    """The demo account's id and its site's id."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        login.raise_for_status()
        headers = {"authorization": f"Bearer {login.json()['access_token']}"}
        me = (await client.get("/api/v1/auth/me", headers=headers)).json()
        sites = (await client.get("/api/v1/sites", headers=headers)).json()["sites"]
    account_id = me.get("account_id") or login.json()["user"]["account_id"]
    return account_id, sites[0]["id"]


async def open_socket(base: str, token: str) -> ClientConnection:
    ws = await connect(base.replace("http", "ws", 1) + "/ws/visitor", origin=base, ping_interval=None)  # type: ignore[arg-type]
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await ws.recv())
    if reply.get("type") != "auth.ok":
        raise SystemExit(f"the visitor socket refused the token: {reply}")
    return ws


async def open_many(base: str, account_id: str, site_id: str, count: int) -> list[ClientConnection]:
    gate = asyncio.Semaphore(CONCURRENCY)
    year = 365 * 24 * 3600

    async def one() -> ClientConnection:
        identity = Identity(kind="visitor", account_id=account_id, site_id=site_id, visitor_id=new_id())
        async with gate:
            return await open_socket(base, visitor_token(identity, JWT_SECRET, year))

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def measure(base: str, pid: int, sockets: int, warmup: int) -> tuple[float, float]:
    account_id, site_id = await demo_site(base)
    opened = await open_many(base, account_id, site_id, warmup)
    before = await settled_rss(pid)
    started = time.monotonic()
    opened += await open_many(base, account_id, site_id, sockets)
    took = time.monotonic() - started
    after = await settled_rss(pid)
    per_socket = (after - before) / sockets
    print(
        f"gateway rss {before / 2**20:.1f} MB with {warmup} sockets, {after / 2**20:.1f} MB with {warmup + sockets}"
        f" (opened {sockets} in {took:.1f} s)",
        flush=True,
    )
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    return per_socket / 1024, 2**30 / per_socket


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the gateway exited with {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise SystemExit("the gateway did not become ready")


@contextlib.contextmanager
def embedded_gateway() -> Iterator[tuple[str, int]]:
    base = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory(prefix="fw-idle-sockets-") as data:
        env = {
            **os.environ,
            "FW_MODE": "embedded",
            "FW_DATA_DIR": data,
            "PORT": str(PORT),
            "METRICS_PORT": "0",
            "PUBLIC_URL": base,
            "JWT_SECRET": JWT_SECRET,
            "INTERNAL_SECRET": INTERNAL_SECRET,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        with open(Path(data) / "gateway.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "services.embedded"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                wait_ready(base, process)
                yield base, process.pid
            finally:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextlib.contextmanager
def distributed_gateway() -> Iterator[tuple[str, int]]:
    env = {"JWT_SECRET": JWT_SECRET, "INTERNAL_SECRET": INTERNAL_SECRET, "LOG_LEVEL": "WARNING", "METRICS_PORT": "0"}
    stack = Stack(
        database="floorwalker_bench_sockets",
        port_offset=PORT_OFFSET,
        redis_prefix="fwbsock",
        state_dir=ROOT / ".stack" / "bench-sockets",
        extra_env=env,
        services=("gateway",),
    )
    asyncio.run(stack.drop_data())
    try:
        with stack:
            yield stack.gateway_url, stack.processes["gateway"].pid
    finally:
        asyncio.run(stack.drop_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--mode", choices=["embedded", "distributed"], default="embedded")
    args = parser.parse_args()
    gateway: AbstractContextManager[tuple[str, int]] = (
        embedded_gateway() if args.mode == "embedded" else distributed_gateway()
    )
    with gateway as (base, pid):
        kb, per_gb = asyncio.run(measure(base, pid, args.sockets, args.warmup))
    print(f"mode {args.mode}: {kb:.1f} KB per idle visitor socket, {per_gb:,.0f} sockets per GB")
    print(f"{args.sockets} {kb:.1f} {per_gb:.0f}")


if __name__ == "__main__":
    main()
