"""Redis restarted, or failed over to an empty node: consumers, the outbox relay, the gateway's pub/sub and
the tracking backlog guard recover by themselves.

Each test runs a Redis of its own (`scripts/redis_server.py`, AOF `everysec` as shipped) that it kills,
restarts or empties: the machine's shared Redis is used by the other tests.
"""

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, func, select
from starlette.websockets import WebSocket

from scripts.redis_server import RedisServer
from services.common.bus import RedisBus
from services.common.db import Database, utcnow
from services.common.errors import ServiceUnavailable
from services.common.events import Event, TrackBatchReceived
from services.common.outbox import OutboxRelay, outbox_table
from services.common.service import ServiceRuntime
from services.common.settings import Settings
from services.common.tokens import Identity
from services.gateway.app import create_app as create_gateway
from services.gateway.engage.contract import Invitation
from services.gateway.engage.desk import InvitationDesk
from services.gateway.engage.store import RedisInvitations
from services.gateway.hub import Hub, SocketClient
from services.gateway.proxy import ServiceClients
from services.gateway.track_ingest import TRACKING_GROUP, TrackingBacklog
from tests.chat_client import SITE_KEY
from tests.helpers import BROWSER_UA, create_pg_database, drop_pg_database, eventually, free_port, live_server, pg_url

RECOVERY_SECONDS = 5.0  # the promise: consumers and subscribers are back within 5 s of Redis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
async def bus(redis_server: RedisServer) -> AsyncIterator[RedisBus]:
    the_bus = RedisBus(redis_server.url, prefix="fwtest")
    await the_bus.start()
    try:
        yield the_bus
    finally:
        await the_bus.stop()


def event(n: int, kind: str = "thing.happened") -> Event:
    return Event(type=kind, account_id="acc-1", payload={"n": n})


async def consume_into(bus: RedisBus, handled: list[int], kind: str = "thing.happened") -> None:
    async def handler(e: Event) -> None:
        handled.append(e.payload["n"])

    await bus.consume("reporting", [kind], handler)


async def test_a_consumer_whose_group_vanished_creates_it_again_and_resumes_within_5_s(
    bus: RedisBus, redis_server: RedisServer
) -> None:
    handled: list[int] = []
    await consume_into(bus, handled)
    await bus.publish_event(event(1))
    assert await eventually(lambda: handled == [1])

    redis_server.flushall()  # a failover to an empty node: streams and groups are gone
    await bus.publish_event(event(2))  # XADD makes the stream again, without the group
    started = time.monotonic()
    assert await eventually(lambda: handled == [1, 2], seconds=RECOVERY_SECONDS)
    assert time.monotonic() - started < RECOVERY_SECONDS
    assert await bus.backlog("thing.happened", "reporting") == 0  # the group is back and has read everything


async def test_after_a_crash_of_redis_the_consumer_goes_on_from_the_aof(
    bus: RedisBus, redis_server: RedisServer
) -> None:
    """SIGKILL: Redis loads its AOF (everysec) again; what it had acknowledged is there, and nothing is lost."""
    handled: list[int] = []
    await consume_into(bus, handled)
    await bus.publish_event(event(1))
    assert await eventually(lambda: handled == [1])
    redis_server.kill()
    redis_server.start()
    await bus.publish_event(event(2))
    assert await eventually(lambda: handled == [1, 2], seconds=RECOVERY_SECONDS)


async def test_an_event_whose_handler_failed_is_handled_again_within_seconds_not_at_the_claim(bus: RedisBus) -> None:
    """A database away for a moment (its connections ended) fails the handler: the entry stays pending and is
    read again by its consumer about a second later, not only when another consumer claims it after 30 s."""
    attempts: list[int] = []

    async def flaky(e: Event) -> None:
        attempts.append(e.payload["n"])
        if len(attempts) == 1:
            raise ConnectionError("the database closed the connection")

    await bus.consume("tracking", ["thing.happened"], flaky)
    await bus.publish_event(event(7))
    assert await eventually(lambda: attempts == [7, 7], seconds=3)
    assert await eventually(lambda: _no_pending(bus), seconds=2)


async def _no_pending(bus: RedisBus) -> bool:
    return await bus.backlog("thing.happened", "tracking") == 0


class _Rows:
    def __init__(self, db: Database, table: Any) -> None:
        self.db = db
        self.table = table

    async def count(self) -> int:
        async with self.db.reading() as connection:
            return int(await connection.scalar(select(func.count()).select_from(self.table)) or 0)


async def test_the_relay_keeps_every_row_it_could_not_publish_and_publishes_it_once_redis_is_back(
    bus: RedisBus, redis_server: RedisServer, tmp_path: Path
) -> None:
    metadata = MetaData()
    table = outbox_table(metadata, "probe")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    rows = _Rows(db, table)
    async with db.transaction() as connection:
        for n in range(3):
            e = event(n)
            await connection.execute(
                table.insert().values(id=e.id, type=e.type, body=e.model_dump_json(), attempts=0, created_at=utcnow())
            )
    relay = OutboxRelay(db, table, bus)
    redis_server.kill()
    try:
        assert await relay.flush() == 0
    except Exception:
        pass  # failing is fine too; deleting is not
    assert await rows.count() == 3

    redis_server.start()
    handled: list[int] = []
    await consume_into(bus, handled)
    assert await relay.flush() == 3
    assert await rows.count() == 0
    assert await eventually(lambda: sorted(handled) == [0, 1, 2])
    await db.dispose()


class _Recorder:
    """Stands for a websocket: keeps what the client's writer sends it."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)


def _socket() -> SocketClient:
    return SocketClient(cast(WebSocket, _Recorder()))


def _got(client: SocketClient) -> bool:
    return bool(cast(_Recorder, client.websocket).sent)


def _frames(client: SocketClient) -> list[dict[str, Any]]:
    sent = cast(_Recorder, client.websocket).sent
    frames = [json.loads(text) for text in sent]
    sent.clear()
    return frames


async def test_after_redis_restarted_the_hub_subscribes_again_and_tells_every_socket_to_resync(
    bus: RedisBus, redis_server: RedisServer
) -> None:
    hub = Hub(bus)
    visitor, operator, both = _socket(), _socket(), _socket()
    await hub.join("visitor:v1", visitor)
    await hub.join("account:a1", operator)
    await hub.join("visitor:v1", both)
    await hub.join("account:a1", both)
    await bus.publish("account:a1", {"type": "ping", "n": 1})
    assert await eventually(lambda: _got(operator) and _got(both))
    assert _frames(operator) == _frames(both) == [{"type": "ping", "n": 1}]

    redis_server.kill()
    redis_server.start()
    started = time.monotonic()
    assert await eventually(lambda: all(_got(c) for c in (visitor, operator, both)), RECOVERY_SECONDS)
    assert time.monotonic() - started < RECOVERY_SECONDS
    resync = {"type": "resync", "reason": "realtime_gap"}
    assert _frames(visitor) == _frames(operator) == _frames(both) == [resync]  # once per socket

    publisher = Redis.from_url(redis_server.url)  # frames published now reach the sockets again
    try:
        await publisher.publish(bus.channel("visitor:v1"), json.dumps({"type": "ping", "n": 2}))
        assert await eventually(lambda: _got(visitor) and _got(both))
        assert _frames(visitor) == _frames(both) == [{"type": "ping", "n": 2}]
    finally:
        await publisher.aclose()
    await bus.publish_many(["visitor:v1", "account:a1"], {"type": "ping", "n": 3})  # the multicast channel is back
    assert await eventually(lambda: _got(visitor) and _got(operator) and len(cast(_Recorder, both.websocket).sent) == 2)
    assert _frames(visitor) == _frames(operator) == [{"type": "ping", "n": 3}]
    assert _frames(both) == [{"type": "ping", "n": 3}] * 2  # once per channel it is on, as for two publishes


async def test_a_socket_joining_while_redis_is_away_is_subscribed_once_it_is_back(
    bus: RedisBus, redis_server: RedisServer
) -> None:
    hub = Hub(bus)
    early = _socket()
    await hub.join("account:a1", early)
    redis_server.kill()
    late = _socket()
    async with asyncio.timeout(5):
        await hub.join("visitor:v2", late)  # does not fail: remembered, and subscribed when Redis is back
    redis_server.start()
    assert await eventually(lambda: _got(late), RECOVERY_SECONDS)
    assert _frames(late) == [{"type": "resync", "reason": "realtime_gap"}]
    await bus.publish("visitor:v2", {"type": "ping"})
    assert await eventually(lambda: _got(late))
    assert _frames(late) == [{"type": "ping"}]


async def test_the_tracking_backlog_guard_refuses_while_tracking_has_no_group_or_redis_is_away(
    bus: RedisBus, redis_server: RedisServer
) -> None:
    guard = TrackingBacklog(bus, limit=100, interval=0.05, retry_interval=0.0)

    async def refusal() -> str | None:
        try:
            await guard.check()
        except ServiceUnavailable as exc:
            assert exc.status_code == 503
            return exc.code
        return None

    assert await refusal() == "tracking_unavailable"  # no group: nobody would store the batches
    await bus.redis.xgroup_create(bus.stream(TrackBatchReceived.TYPE), TRACKING_GROUP, id="0", mkstream=True)
    await asyncio.sleep(0.06)
    assert await refusal() is None
    redis_server.flushall()
    await asyncio.sleep(0.06)
    assert await refusal() == "tracking_unavailable"  # not "0 behind"
    redis_server.kill()
    started = time.monotonic()
    assert await refusal() == "tracking_unavailable"
    assert time.monotonic() - started < 1.5


@pytest.fixture
async def gateway_settings(redis_server: RedisServer, tmp_path: Path) -> AsyncIterator[Settings]:
    name = await create_pg_database()
    try:
        yield Settings(
            fw_mode="distributed",
            database_url=pg_url(name),
            redis_url=redis_server.url,
            redis_prefix="fwtest",
            data_dir=tmp_path,
            migrate_on_start=True,
            jwt_secret=secrets.token_hex(32),
            internal_secret=secrets.token_hex(32),
        )
    finally:
        await drop_pg_database(name)


async def test_the_gateway_answers_503_retryable_for_page_views_while_tracking_has_no_group(
    gateway_settings: Settings, redis_server: RedisServer
) -> None:
    port = free_port()
    settings = gateway_settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    app = create_gateway(settings)  # no tracking service: its group exists only when the test makes it
    async with app.router.lifespan_context(app), live_server(app, settings, port) as base:
        async with httpx.AsyncClient(base_url=base, headers={"origin": base, "user-agent": BROWSER_UA}) as client:
            answer = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY})
            assert answer.status_code == 200, answer.text
            session = answer.json()
            headers = {"authorization": f"Bearer {session['visitor_token']}"}
            body = {"events": [{"type": "pageview", "url": f"{base}/demo/", "title": "Home"}]}
            refused = await client.post("/api/v1/track/events", json=body, headers=headers)
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "tracking_unavailable"
            redis = Redis.from_url(redis_server.url)
            try:
                await redis.xgroup_create("fwtest:ev:track.batch", TRACKING_GROUP, id="0", mkstream=True)
            finally:
                await redis.aclose()

            async def accepted() -> bool:
                return (await client.post("/api/v1/track/events", json=body, headers=headers)).status_code == 202

            assert await eventually(accepted, seconds=3)


async def test_after_redis_restarted_an_open_visitor_socket_gets_its_pending_invitations_again(
    bus: RedisBus, redis_server: RedisServer
) -> None:
    """An invitation published while the gateway's subscription was down never reached the tab: after the gap
    the tab gets `resync` and then every invitation still waiting for its answer (and no other visitor's)."""
    hub = Hub(bus)
    store = RedisInvitations(redis_server.url, "fwtest")
    runtime = ServiceRuntime("gateway", Settings(), db=cast(Database, None), bus=bus)
    desk = InvitationDesk(runtime, hub, cast(ServiceClients, None), store)
    try:
        visitor = Identity(kind="visitor", account_id="a1", site_id="s1", visitor_id="v1")
        tab, other_tab, operator = _socket(), _socket(), _socket()
        tab.identity = visitor
        other_tab.identity = Identity(kind="visitor", account_id="a1", site_id="s1", visitor_id="v2")
        await hub.join("visitor:v1", tab)
        await hub.join("visitor:v2", other_tab)
        await hub.join("account:a1", operator)
        now = utcnow()
        invitation = Invitation(
            invitation_id="inv-1",
            account_id="a1",
            site_id="s1",
            visitor_id="v1",
            rule_id="rule-1",
            variant="b",
            text="Need a hand with the laptops?",
            offered_at=now,
            expires_at=now + timedelta(minutes=2),
        )

        redis_server.kill()
        await store.redis.aclose()  # (its connection died with the server)
        redis_server.start()
        await store.add(invitation)  # offered while this gateway's subscription was still down: frame lost
        assert await eventually(lambda: _got(tab) and _got(operator), RECOVERY_SECONDS)
        await asyncio.sleep(0.2)
        frames = _frames(tab)
        assert frames[0] == {"type": "resync", "reason": "realtime_gap"}
        assert [(f["type"], f["invitation_id"], f["rule_id"], f["variant"]) for f in frames[1:]] == [
            ("invitation", "inv-1", "rule-1", "b")
        ]
        assert _frames(other_tab) == [{"type": "resync", "reason": "realtime_gap"}]  # not someone else's
        assert _frames(operator) == [{"type": "resync", "reason": "realtime_gap"}]
    finally:
        await desk.stop()  # (closes the store)
