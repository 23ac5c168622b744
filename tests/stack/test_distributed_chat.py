"""The distributed mode for real: one process per service, PostgreSQL and Redis."""

import asyncio
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
