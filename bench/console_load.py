"""Console load (CHAT-4): one operator console socket following 50 chats whose visitors type, on the embedded stack.

    .venv/bin/python bench/console_load.py [--chats 50] [--rate 5] [--seconds 20] [--warmup 3]

Starts the embedded mode (`python -m services.embedded`: one process, SQLite, the in-process bus) on a free port with
a fresh data directory, opens `--chats` visitor sockets, each with its conversation, all accepted by one operator
(Olga, the account's chats per operator raised to fit), and her one console socket. Each visitor then sends sneak-peek updates (`typing`
frames with the draft, as the widget does while its visitor types) at `--rate` per second, spread evenly; every draft
names its send, and the console socket times its arrival. The first `--warmup` seconds are not counted.

Prints the delivery latency of the updates (p50, p99, max), the embedded process's CPU per 1,000 realtime frames
(each update is two: one in from a visitor's socket, one out to the console's; the process is the gateway with the
chat service inside it), the CPU the bench's own client took meanwhile and the gzip sizes of the built widget
(clients/widget/dist: loader `widget.js`, chat UI `widget-chat.js`; `make build` first).
Last line: p99_ms=… cpu_ms_per_1k=… loader_gz_bytes=… chat_ui_gz_bytes=….
Target: p99 at most 30 ms. Run it under the shared lock: `flock /tmp/fw/bench.lock .venv/bin/python bench/...`.
"""

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "clients" / "widget" / "dist"
# A widget session from an HTTP library would be taken for a robot (no chat): speak as a browser.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
OPERATOR, ADMIN, PASSWORD = "olga@demo.example", "admin@demo.example", "floorwalker"
TICKS = os.sysconf("SC_CLK_TCK")
SLOW_MS = 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def free_port() -> int:
    """A free port outside 8000-8100 (a demo may run there)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if not 8000 <= port <= 8100:
            return port


def start_embedded(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FW_MODE": "embedded",
        "FW_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "METRICS_PORT": "0",
        "DEMO_TRAFFIC": "false",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.embedded"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the embedded mode exited while starting")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the embedded mode did not start within 90 s")


async def open_socket(base: str, path: str, token: str) -> ClientConnection:
    """A socket authenticated by its first frame (a token never goes in the URL)."""
    ws = await connect(base.replace("http", "ws", 1) + path, origin=base, max_queue=None)  # type: ignore[arg-type]
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await ws.recv())
    if reply.get("type") != "auth.ok":
        raise SystemExit(f"{path} refused the token: {reply}")
    return ws


async def login(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def setup(base: str, chats: int) -> tuple[ClientConnection, list[tuple[ClientConnection, str]]]:
    """The operator's console socket and `chats` visitor sockets, each with its conversation, all accepted by her."""
    async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=30) as http:
        admin, olga = await login(http, ADMIN), await login(http, OPERATOR)
        capacity = await http.put(  # the account's default maximum of chats per operator, raised to fit
            "/api/v1/presence/settings",
            json={"default_max_chats": min(100, chats + 10)},
            headers={"authorization": f"Bearer {admin['access_token']}"},
        )
        capacity.raise_for_status()
        console = await open_socket(base, "/ws/operator", olga["access_token"])
        visitors = []
        for n in range(chats):
            session = (await http.post("/api/v1/widget/session", json={"site_key": "demo-shop"})).json()
            if not session.get("site", {}).get("sneak_peek", True):
                raise SystemExit("the demo site has sneak-peek off")
            headers = {"authorization": f"Bearer {session['visitor_token']}"}
            started = await http.post(
                "/api/v1/conversations", json={"text": f"Hello from {n}", "client_msg_id": f"b{n}"}, headers=headers
            )
            started.raise_for_status()
            cid = started.json()["id"]
            accepted = await http.post(
                f"/api/v1/conversations/{cid}/accept", headers={"authorization": f"Bearer {olga['access_token']}"}
            )
            if accepted.status_code != 200:
                raise SystemExit(f"could not accept chat {n}: {accepted.status_code} {accepted.text}")
            visitors.append((await open_socket(base, "/ws/visitor", session["visitor_token"]), cid))
    return console, visitors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(base: str, pid: int, chats: int, rate: float, seconds: float, warmup: float) -> dict[str, Any]:
    console, visitors = await setup(base, chats)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    slow: dict[int, int] = {}  # updates over `SLOW_MS`, by second of the measure: one stall, or all along?
    counted_from = [float("inf")]
    others: dict[str, int] = {}

    async def follow() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in console:
                frame = json.loads(raw)
                if frame.get("type") == "conversation.typing" and "draft" in frame:
                    key = frame["draft"].split(" ", 1)[0]
                    started = sent.pop(key, None)
                    if started is not None and started >= counted_from[0]:
                        latency = (time.perf_counter() - started) * 1000
                        latencies.append(latency)
                        if latency > SLOW_MS:
                            second = int(started - counted_from[0])
                            slow[second] = slow.get(second, 0) + 1
                elif frame.get("type") == "error":
                    kind = f"{frame.get('type')} {frame.get('code', '')}".strip()
                    others[kind] = others.get(kind, 0) + 1

    async def drain(ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    others[f"visitor error {frame.get('code')}"] = (
                        others.get(f"visitor error {frame.get('code')}", 0) + 1
                    )

    async def type_in(n: int, ws: ClientConnection, cid: str, until: float) -> None:
        """One visitor typing: an update every 1/rate s, the visitors' updates spread evenly over that time."""
        period = 1 / rate
        at = time.perf_counter() + period * n / chats
        count = 0
        while at < until:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            count += 1
            key = f"{n}.{count}"
            sent[key] = time.perf_counter()
            draft = f"{key} I would like to know whether the laptop ships to Porto by Friday"[: 20 + count % 40]
            await ws.send(json.dumps({"type": "typing", "conversation_id": cid, "typing": True, "draft": draft}))
            at += period

    readers = [asyncio.create_task(follow())] + [asyncio.create_task(drain(ws)) for ws, _ in visitors]
    await asyncio.sleep(1)
    start = time.perf_counter()
    until = start + warmup + seconds
    typing = [asyncio.create_task(type_in(n, ws, cid, until)) for n, (ws, cid) in enumerate(visitors)]
    await asyncio.sleep(warmup)
    counted_from[0] = time.perf_counter()
    cpu_before, own_before = cpu_seconds(pid), cpu_seconds(os.getpid())
    await asyncio.gather(*typing)
    await asyncio.sleep(0.5)  # the last updates arrive
    cpu_used, own_used = cpu_seconds(pid) - cpu_before, cpu_seconds(os.getpid()) - own_before
    expected = sum(1 for started in sent.values() if started >= counted_from[0]) + len(latencies)
    for task in readers:
        task.cancel()
    for ws in [console] + [ws for ws, _ in visitors]:
        await ws.close()
    if not latencies:
        raise SystemExit(f"no update arrived; other frames: {others or 'none'}")
    return {
        "latencies": latencies,
        "expected": expected,
        "cpu": cpu_used,
        "client_cpu": own_used,
        "others": others,
        "slow": slow,
    }


def gz_size(path: Path) -> int:
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make build` first")
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="sneak-peek updates per second of each visitor")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of typing before the measure")
    args = parser.parse_args()
    loader, chat_ui = gz_size(DIST / "widget.js"), gz_size(DIST / "widget-chat.js")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fw-console-load-") as data:
        process = start_embedded(Path(data), port)
        try:
            result = asyncio.run(
                run(f"http://127.0.0.1:{port}", process.pid, args.chats, args.rate, args.seconds, args.warmup)
            )
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
    latencies: list[float] = result["latencies"]
    arrived, expected = len(latencies), result["expected"]
    frames = 2 * arrived  # one in from a visitor, one out to the console, per update
    cpu_ms_per_1k = result["cpu"] * 1000 / frames * 1000
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(f"stack: embedded (one process, SQLite, in-process bus); {args.chats} chats x {args.rate:g} updates/s")
    print(f"updates: {arrived} of {expected} arrived; p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(latencies):.2f} ms")
    print(f"cpu: {result['cpu']:.2f} s for {frames} realtime frames = {cpu_ms_per_1k:.1f} ms per 1,000")
    print(f"the bench's own client (the {args.chats + 1} sockets): {result['client_cpu']:.2f} s of CPU meanwhile")
    print(f"updates over {SLOW_MS} ms, by second of the measure they were sent in: {result['slow'] or 'none'}")
    print(f"widget gzip: loader {loader} B, chat UI {chat_ui} B; other frames: {result['others'] or 'none'}")
    print(f"p99_ms={p99:.2f} cpu_ms_per_1k={cpu_ms_per_1k:.1f} loader_gz_bytes={loader} chat_ui_gz_bytes={chat_ui}")


if __name__ == "__main__":
    main()
