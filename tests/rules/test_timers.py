"""The rules' timer store (ENG-5): due items come due by the injected clock (no test sleeps), a key has one
pending time, and with several rules replicas on one Redis each due item is claimed by exactly one."""

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from scripts.stack import forget_redis_keys
from services.rules.timers import MemoryTimers, RedisTimers, TimerStore
from tests.helpers import TEST_REDIS_URL


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"fwtest-timers-{secrets.token_hex(4)}"
    yield name
    await forget_redis_keys(TEST_REDIS_URL, name)


@pytest.fixture(params=["memory", "redis"])
async def store_and_clock(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[tuple[TimerStore, Clock]]:
    clock = Clock()
    store: TimerStore = MemoryTimers(clock) if request.param == "memory" else RedisTimers(TEST_REDIS_URL, prefix, clock)
    yield store, clock
    await store.close()


async def test_an_item_comes_due_at_its_time_by_the_clock_and_only_once(
    store_and_clock: tuple[TimerStore, Clock],
) -> None:
    store, clock = store_and_clock
    await store.schedule("visitor-a", clock.now + 180)  # "3 minutes in the section"
    await store.schedule("visitor-b", clock.now + 60)
    assert await store.next_due_at() == clock.now + 60
    assert await store.claim_due() == []

    clock.now += 60
    assert await store.claim_due() == ["visitor-b"]
    clock.now += 119.9
    assert await store.claim_due() == []
    clock.now += 0.1
    assert await store.claim_due() == ["visitor-a"]
    assert await store.claim_due() == []
    assert await store.next_due_at() is None


async def test_scheduling_a_key_again_moves_it_and_cancel_forgets_it(
    store_and_clock: tuple[TimerStore, Clock],
) -> None:
    store, clock = store_and_clock
    await store.schedule("visitor-a", clock.now + 10)
    await store.schedule("visitor-a", clock.now + 100)  # a new page view: the check moved later
    await store.schedule("visitor-b", clock.now + 20)
    await store.cancel("visitor-b")  # the visitor left
    clock.now += 50
    assert await store.claim_due() == []
    clock.now += 50
    assert await store.claim_due() == ["visitor-a"]


async def test_due_items_come_earliest_first_and_in_batches(store_and_clock: tuple[TimerStore, Clock]) -> None:
    store, clock = store_and_clock
    for n in range(5):
        await store.schedule(f"v{n}", clock.now + 5 - n)
    clock.now += 10
    assert await store.claim_due(limit=3) == ["v4", "v3", "v2"]
    assert await store.claim_due(limit=3) == ["v1", "v0"]


async def test_two_rules_replicas_on_one_redis_claim_each_due_item_exactly_once(prefix: str) -> None:
    clock = Clock()
    one, two = RedisTimers(TEST_REDIS_URL, prefix, clock), RedisTimers(TEST_REDIS_URL, prefix, clock)
    try:
        keys = [f"visitor-{n}" for n in range(2000)]
        for n, key in enumerate(keys):
            await (one if n % 2 else two).schedule(key, clock.now + n % 7)
        clock.now += 10

        async def drain(store: RedisTimers) -> list[str]:
            got: list[str] = []
            while batch := await store.claim_due(limit=50):
                got.extend(batch)
                await asyncio.sleep(0)
            return got

        first, second = await asyncio.gather(drain(one), drain(two))
        assert first and second  # both replicas did work
        assert not set(first) & set(second)
        assert sorted(first + second) == sorted(keys)
    finally:
        await one.close()
        await two.close()
