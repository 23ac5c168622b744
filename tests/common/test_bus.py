"""The event bus (both implementations), the outbox relay's batch publishing and handling events once in batches."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, func, select

from scripts.stack import forget_redis_keys
from services.common.bus import BatchEventHandler, EventBus, MemoryBus, RedisBus
from services.common.db import Database, utcnow
from services.common.events import Event
from services.common.outbox import OutboxRelay, handle_batch_once, outbox_table, processed_events_table
from tests.helpers import TEST_REDIS_URL, eventually


def event(kind: str = "thing.happened", n: int = 0) -> Event:
    return Event(type=kind, account_id="acc-1", payload={"n": n})


class Recorder(BatchEventHandler):
    """Records the batches it gets; fails every batch containing an event with payload n == `poison`."""

    def __init__(self, poison: int | None = None) -> None:
        self.batches: list[list[Event]] = []
        self.poison = poison

    async def handle_batch(self, events: Sequence[Event]) -> None:
        if any(e.payload["n"] == self.poison for e in events):
            raise RuntimeError("poisoned")
        self.batches.append(list(events))

    @property
    def handled(self) -> list[int]:
        return [e.payload["n"] for batch in self.batches for e in batch]


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield MemoryBus()
        return
    prefix = f"fwtest-{uuid.uuid4().hex[:8]}"
    redis_bus = RedisBus(TEST_REDIS_URL, prefix=prefix)
    await redis_bus.start()
    try:
        yield redis_bus
    finally:
        await redis_bus.stop()
        await forget_redis_keys(TEST_REDIS_URL, prefix)


async def until(condition: Callable[[], bool]) -> None:
    assert await eventually(condition), "timed out"


async def test_published_events_reach_a_batch_handler_in_order_and_in_few_batches(bus: EventBus) -> None:
    recorder = Recorder()
    others: list[int] = []

    async def one_at_a_time(e: Event) -> None:
        others.append(e.payload["n"])

    await bus.consume("reporting", ["thing.happened", "other.thing"], recorder)
    await bus.consume("rules", ["other.thing"], one_at_a_time)
    events = [event(n=n) for n in range(30)] + [event("other.thing", 30), event("ignored.thing", 31)]
    await bus.publish_events(events)
    await until(lambda: len(recorder.handled) == 31 and others == [30])
    assert sorted(recorder.handled) == list(range(31))
    assert [n for n in recorder.handled if n < 30] == list(range(30))  # one stream keeps its order
    assert len(recorder.batches) <= 3
    await asyncio.sleep(0.1)
    assert len(recorder.handled) == 31 and others == [30]


async def test_a_frame_on_several_channels_reaches_each_listener_once_and_in_order_with_the_others(
    bus: EventBus,
) -> None:
    got: list[tuple[str, int]] = []

    async def listener(channel: str, frame: dict[str, Any]) -> None:
        got.append((channel, frame["n"]))

    await bus.subscribe("operator:acc-1:u1", listener)
    await bus.subscribe("operator:acc-1:u2", listener)
    await bus.subscribe("account:acc-1", listener)
    await bus.publish("account:acc-1", {"n": 1})
    await bus.publish_many(["operator:acc-1:u1", "operator:acc-1:u2", "operator:acc-1:u9"], {"n": 2})
    await bus.publish_many(["operator:acc-2:u1", "visitor:v9"], {"n": 3})  # nobody here listens to these
    await bus.publish("operator:acc-1:u2", {"n": 4})
    await until(lambda: len(got) >= 4)
    await asyncio.sleep(0.1)
    assert got == [("account:acc-1", 1), ("operator:acc-1:u1", 2), ("operator:acc-1:u2", 2), ("operator:acc-1:u2", 4)]


async def test_a_frame_on_sixty_channels_is_one_redis_message_with_their_names() -> None:
    """A chat waiting in a queue of 60 operators: one PUBLISH, read once by each gateway, not 60 of each."""
    prefix = f"fwtest-{uuid.uuid4().hex[:8]}"
    redis_bus = RedisBus(TEST_REDIS_URL, prefix=prefix)
    await redis_bus.start()
    spy = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    pubsub = spy.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.psubscribe(f"{prefix}:rt:*")
        channels = [f"operator:acc-1:u{n}" for n in range(60)]
        await redis_bus.publish_many(channels, {"type": "conversation.updated", "n": 1})
        seen: list[tuple[str, str]] = []
        for _ in range(20):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message is not None:
                seen.append((message["channel"], message["data"]))
        assert len(seen) == 1
        channel, data = seen[0]
        names, _, body = data.partition("\n")
        assert channel == f"{prefix}:rt:_many" and names.split(" ") == channels
        assert json.loads(body) == {"type": "conversation.updated", "n": 1}
        got: list[tuple[str, int]] = []

        async def listener(channel: str, frame: dict[str, Any]) -> None:
            got.append((channel, frame["n"]))

        await redis_bus.subscribe("account:acc-1", listener)
        await redis_bus.subscribe("operator:acc 1", listener)  # a name that cannot be listed goes out on its own
        await redis_bus.publish_many(["account:acc-1", "operator:acc 1"], {"n": 2})
        await until(lambda: len(got) == 2)
        assert sorted(got) == [("account:acc-1", 2), ("operator:acc 1", 2)]
    finally:
        await pubsub.aclose()
        await spy.aclose()
        await redis_bus.stop()
        await forget_redis_keys(TEST_REDIS_URL, prefix)


async def test_a_failing_batch_is_handled_again_one_event_at_a_time(bus: EventBus) -> None:
    recorder = Recorder(poison=3)
    await bus.consume("reporting", ["thing.happened"], recorder)
    try:
        await bus.publish_events([event(n=n) for n in range(6)])
    except RuntimeError:
        assert isinstance(bus, MemoryBus)  # the memory bus says so to the publisher (the outbox row stays)
    await until(lambda: len(recorder.handled) >= (3 if isinstance(bus, MemoryBus) else 5))
    if isinstance(bus, MemoryBus):
        assert recorder.handled == [0, 1, 2]
    else:
        assert recorder.handled == [0, 1, 2, 4, 5]  # the poisoned one stays pending, to be retried
        assert isinstance(bus, RedisBus)
        pending = await bus.redis.xpending(bus.stream("thing.happened"), "reporting")
        assert pending["pending"] == 1


async def test_handle_batch_once_applies_each_event_id_once(tmp_path: Path) -> None:
    metadata = MetaData()
    processed = processed_events_table(metadata, "probe")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    applied: list[int] = []

    async def effect(_: object, new: list[Event]) -> None:
        applied.extend(e.payload["n"] for e in new)

    first = [event(n=n) for n in range(5)]
    assert [e.payload["n"] for e in await handle_batch_once(db, processed, first + first[:2], effect)] == list(range(5))
    again = [first[1], event(n=5), first[4], event(n=6)]
    assert [e.payload["n"] for e in await handle_batch_once(db, processed, again, effect)] == [5, 6]
    assert await handle_batch_once(db, processed, first, effect) == []
    assert applied == list(range(7))
    async with db.reading() as connection:
        assert await connection.scalar(select(func.count()).select_from(processed)) == 7
    await db.dispose()


class FlakyBus(MemoryBus):
    """Refuses to publish many at once, and publishes one at a time until the event `fail_at`."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.published: list[int] = []

    async def publish_events(self, events: Sequence[Event]) -> None:
        raise ConnectionError("not now")

    async def publish_event(self, e: Event) -> None:
        if e.payload["n"] == self.fail_at:
            raise ConnectionError("not this one")
        self.published.append(e.payload["n"])


async def test_the_relay_publishes_in_one_go_and_one_by_one_when_that_fails(tmp_path: Path) -> None:
    metadata = MetaData()
    table = outbox_table(metadata, "probe")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with db.transaction() as connection:
        for n in range(5):
            e = event(n=n)
            await connection.execute(
                table.insert().values(id=e.id, type=e.type, body=e.model_dump_json(), attempts=0, created_at=utcnow())
            )
    flaky = FlakyBus(fail_at=3)
    assert await OutboxRelay(db, table, flaky).flush() == 3
    assert flaky.published == [0, 1, 2]
    healthy = MemoryBus()
    recorder = Recorder()
    await healthy.consume("reporting", ["thing.happened"], recorder)
    assert await OutboxRelay(db, table, healthy).flush() == 2
    assert recorder.batches and [len(b) for b in recorder.batches] == [2] and recorder.handled == [3, 4]
    async with db.reading() as connection:
        assert await connection.scalar(select(func.count()).select_from(table)) == 0
    await db.dispose()


async def test_two_embedded_relays_whose_events_write_each_others_database_do_not_wait_on_each_other(
    tmp_path: Path,
) -> None:
    """Embedded, the memory bus runs a consumer inside the publisher's relay pass. Service A's events are
    handled by writing B's database and B's by writing A's: relays that held their database's lock while
    publishing waited on each other until SQLite's busy timeout (10 s), then failed."""
    bus = MemoryBus()
    services = {}
    for name in ("alpha", "beta"):
        metadata = MetaData()
        table = outbox_table(metadata, name)
        db = Database(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with db.transaction() as connection:
            for n in range(3):
                e = event(f"{name}.happened", n)
                await connection.execute(
                    table.insert().values(
                        id=e.id, type=e.type, body=e.model_dump_json(), attempts=0, created_at=utcnow()
                    )
                )
        services[name] = (db, table)

    def writes_into(name: str) -> Callable[[Event], Awaitable[None]]:
        db, table = services[name]

        async def handle(_: Event) -> None:
            async with db.transaction() as connection:
                await connection.execute(table.delete().where(table.c.id == "none"))  # a write: takes the lock
                await asyncio.sleep(0.05)  # the other relay is publishing meanwhile

        return handle

    await bus.consume("beta", ["alpha.happened"], writes_into("beta"))
    await bus.consume("alpha", ["beta.happened"], writes_into("alpha"))
    relays = [OutboxRelay(db, table, bus) for db, table in services.values()]
    async with asyncio.timeout(5):
        assert await asyncio.gather(*(relay.flush() for relay in relays)) == [3, 3]
    for db, _ in services.values():
        await db.dispose()
