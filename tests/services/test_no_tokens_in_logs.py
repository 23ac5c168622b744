"""No token ever reaches a log: a whole chat in the embedded mode, every logger at DEBUG (uvicorn's access log,
httpx, websockets, SQLAlchemy included), and not one captured line holds a token it used."""

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

import tests.helpers
from services.common.settings import Settings
from services.embedded import build
from tests.chat_client import next_frame, open_socket, ws_url
from tests.helpers import BROWSER_UA, free_port, live_server

JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error", "httpx", "httpcore", "websockets", "sqlalchemy")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    """Every log line of the process at DEBUG, uvicorn's access log switched on."""
    original = tests.helpers.server_config

    def with_access_log(*args: Any) -> uvicorn.Config:
        config = original(*args)
        config.access_log = True
        logging.getLogger("uvicorn.access").propagate = True  # uvicorn cut it off for `access_log=False`
        return config

    monkeypatch.setattr(tests.helpers, "server_config", with_access_log)
    capture = Capture()
    saved = {name: (logging.getLogger(name).level, logging.getLogger(name).propagate) for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
        if name:
            logging.getLogger(name).propagate = True
    logging.getLogger().addHandler(capture)
    try:
        yield capture
    finally:
        logging.getLogger().removeHandler(capture)
        for name, (level, propagate) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).propagate = propagate


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_a_whole_chat_leaves_no_token_in_any_log_line(settings: Settings, captured: Capture) -> None:
    port = free_port()
    settings.public_url = base = f"http://127.0.0.1:{port}"
    used: list[str] = []
    async with (
        live_server(build(settings), settings, port),
        httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}, timeout=20) as client,
    ):
        login = await client.post("/api/v1/auth/login", json={"email": "olga@demo.example", "password": "floorwalker"})
        first = login.json()
        renewed = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
        guest = (await client.post("/api/v1/widget/session", json={"site_key": "demo-shop"})).json()
        visitor, access = guest["visitor_token"], renewed["access_token"]
        used += [first["access_token"], first["refresh_token"], access, renewed["refresh_token"], visitor]
        operator_headers = {"authorization": f"Bearer {access}"}
        visitor_headers = {"authorization": f"Bearer {visitor}"}

        page = {"type": "pageview", "url": f"{base}/demo/tv", "title": "TV"}
        beacon = json.dumps({"visitor_token": visitor, "events": [page]})
        sent = await client.post("/api/v1/track/events", content=beacon, headers={"content-type": "text/plain"})
        assert sent.status_code == 202, sent.text
        assert (await client.post("/api/v1/track/events", json={"events": [page]}, headers=visitor_headers)).is_success
        # an old widget's token in the URL: refused, and not in the access log either
        old = await client.post(f"/api/v1/track/events?vt={visitor}", json={"events": [page]})
        assert old.status_code == 401
        async with connect(f"{ws_url(base, '/ws/visitor')}?token={visitor}", origin=base) as legacy:
            await legacy.close()

        async with (
            open_socket(base, "/ws/operator", access) as console,
            open_socket(base, "/ws/visitor", visitor) as widget,
        ):
            started = await client.post("/api/v1/conversations", json={}, headers=visitor_headers)
            cid = started.json()["id"]
            await widget.send(
                json.dumps({"type": "message.send", "conversation_id": cid, "client_msg_id": "v1", "text": "Hi"})
            )
            await next_frame(widget, "message.ack")
            assert (await client.post(f"/api/v1/conversations/{cid}/accept", headers=operator_headers)).is_success
            await console.send(json.dumps({"type": "auth.refresh", "token": access}))
            await next_frame(console, "auth.ok")
            await console.send(
                json.dumps({"type": "message.send", "conversation_id": cid, "client_msg_id": "o1", "text": "Hello!"})
            )
            await next_frame(console, "message.ack")
            assert (await next_frame(widget, "message.created"))["message"]["seq"] >= 1
        out = await client.post("/api/v1/auth/logout", json={"refresh_token": renewed["refresh_token"]})
        assert out.status_code == 204

    lines = captured.lines
    assert any(line.startswith("uvicorn.access") and "/api/v1/track/events" in line for line in lines)
    assert any(line.startswith("httpx") for line in lines)
    assert any("/ws/visitor?token=[redacted]" in line for line in lines)  # the legacy URL, scrubbed
    for token in used:
        leaks = [line for line in lines if token in line]
        assert not leaks, f"a token in {len(leaks)} log lines, e.g. {leaks[0][:300]}"
    assert not [line for line in lines if JWT.search(line)]  # nor any other token (the internal identity's)
