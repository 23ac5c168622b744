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
        database=f"fw_stack_{tag}",
        port_offset=200,
        redis_prefix=f"fwstack-{tag}",
        state_dir=Stack().state_dir / tag,
        extra_env={"TRACKING_NICE": "10"},  # a deployment's choice (default 0): see the niceness test
    )
    with running:
        yield running
    asyncio.run(running.drop_data())


async def test_chat_across_processes_survives_a_chat_restart(stack: Stack) -> None:
    async def restart_chat() -> None:
        await asyncio.to_thread(stack.restart_service, "chat")

    await chat_scenario(stack.gateway_url, restart_chat)


def test_a_deployment_can_let_the_tracking_writer_yield_the_cpu_to_the_gateway_and_chat(stack: Stack) -> None:
    """`TRACKING_NICE` (set to 10 for this stack; the default 0 shares the CPU equally) puts the tracking
    service, and it only, at that niceness: a host can let a flood of page views wait for the CPU."""
    started_at = os.getpriority(os.PRIO_PROCESS, 0)  # what every process inherits from the test run
    niceness = {name: os.getpriority(os.PRIO_PROCESS, process.pid) for name, process in stack.processes.items()}
    assert niceness["tracking"] == max(started_at, 10)
    assert niceness["gateway"] == niceness["chat"] == started_at
