"""The distributed mode for real: one process per service, PostgreSQL and Redis."""

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from scripts.stack import Stack
from tests.chat_client import chat_scenario

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    tag = uuid.uuid4().hex[:8]
    running = Stack(
        database=f"fw_stack_{tag}", port_offset=200, redis_prefix=f"fwstack-{tag}", state_dir=Stack().state_dir / tag
    )
    with running:
        yield running
    asyncio.run(running.drop_data())


async def test_chat_across_processes_survives_a_chat_restart(stack: Stack) -> None:
    async def restart_chat() -> None:
        await asyncio.to_thread(stack.restart_service, "chat")

    await chat_scenario(stack.gateway_url, restart_chat)


def test_the_tracking_writer_yields_the_cpu_to_the_gateway_and_chat(stack: Stack) -> None:
    """On a shared machine a flood of page views to store must not take the CPU from the requests of
    visitors and operators: the tracking service runs at TRACKING_NICE (10), the others as started."""
    started_at = os.getpriority(os.PRIO_PROCESS, 0)  # what every process inherits from the test run
    niceness = {name: os.getpriority(os.PRIO_PROCESS, process.pid) for name, process in stack.processes.items()}
    assert niceness["tracking"] == max(started_at, 10)
    assert niceness["gateway"] == niceness["chat"] == started_at
