"""A socket that reads nothing while realtime frames keep coming for it (an operator's console on a busy
account, a tab in the background) is closed with 1013 once its outgoing queue is full, instead of
buffering without bound; the other sockets of its channel get every frame meanwhile."""

import asyncio
import contextlib
import json
import socket
import time
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.settings import Settings
from services.gateway import hub
from services.gateway.app import create_app as create_gateway
from tests.chat_client import authenticate, login, open_socket, ws_url
from tests.helpers import BROWSER_UA, free_port, live_server

FRAMES = 3000
PAD = "x" * 4000  # 12 MB in all: far more than the kernel's buffers hold


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_a_client_that_reads_no_realtime_frames_is_closed_and_its_channel_goes_on(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub, "QUEUE_LIMIT", 50)
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    bus = MemoryBus()
    app = create_gateway(settings, bus, {"chat": create_chat(settings, bus)})
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            session = await login(client)
        token, channel = session["access_token"], f"account:{session['user']['account_id']}"
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # no kernel buffer to hide in
        reader.connect(("127.0.0.1", port))
        reader.setblocking(False)
        async with (
            open_socket(base, "/ws/operator", token) as bystander,
            connect(ws_url(base, "/ws/operator"), sock=reader, origin=base) as slow,  # type: ignore[arg-type]
        ):
            await authenticate(slow, token)

            async def last_frame() -> float:
                while True:
                    frame = json.loads(await bystander.recv())
                    if frame.get("type") == "test.flood" and frame["n"] == FRAMES - 1:
                        return time.monotonic()

            watching = asyncio.create_task(last_frame())
            started = time.monotonic()
            for n in range(FRAMES):
                await bus.publish(channel, {"type": "test.flood", "n": n, "pad": PAD})
                if n % 10 == 0:
                    await asyncio.sleep(0.001)  # a reader keeps up with this (the bystander's queue stays short)
            published = time.monotonic() - started
            async with asyncio.timeout(10):
                assert await watching - started < published + 2.0  # the bystander was not held up

            await asyncio.sleep(0.5)
            received: list[dict[str, Any]] = []
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    while True:
                        received.append(json.loads(await slow.recv()))
            assert closed.value.rcvd is not None, "closed without a close frame"
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1013, "client too slow; reconnect and resume")
            flood = [f["n"] for f in received if f.get("type") == "test.flood"]
            assert len(flood) < FRAMES // 2  # dropped, not buffered
            assert flood == list(range(len(flood)))  # what it got, it got in order and without a gap
        with contextlib.suppress(OSError):
            reader.close()
