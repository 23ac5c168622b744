"""Batches of page views evaluated with their visitors concurrently (`LiveRules.page_views`), on two rules replicas
at once (issue 12): the page views of many visitors split between the replicas' batches add up in the shared
visitor store, and each visitor's invitation is published exactly once. Distributed only (Redis)."""

import asyncio
import uuid
from typing import Any

from services.common.settings import Settings
from tests.helpers import eventually
from tests.services.test_rules_replicas import ACCOUNT, SITE, add_rule, replicas, views

VISITORS = 20


async def test_two_replicas_evaluating_batches_of_many_visitors_at_once_publish_each_invitation_once(
    settings: Settings,
) -> None:
    visitors = [str(uuid.uuid4()) for _ in range(VISITORS)]
    async with replicas(settings, f"visitor:{visitors[0]}") as place:
        rule_id = await add_rule(place, settings, {"type": "pages_viewed", "op": "ge", "value": 3})
        heard: list[tuple[str, dict[str, Any]]] = []

        async def frame(channel: str, body: dict[str, Any]) -> None:
            heard.append((channel, body))

        for visitor in visitors[1:]:
            await place.bus.subscribe(f"visitor:{visitor}", frame)

        async def listening() -> bool:
            await place.bus.publish(f"visitor:{visitors[-1]}", {"type": "ping"})
            await asyncio.sleep(0.05)
            return any(body["type"] == "ping" for _, body in heard)

        assert await eventually(listening)
        a, b = place.live(0), place.live(1)
        pages = {visitor: views(visitor, 4) for visitor in visitors}
        # Each replica's consumer read every other page of every visitor; both batches are evaluated at once.
        batch_a = [view for visitor in visitors for view in pages[visitor][0::2]]
        batch_b = [view for visitor in visitors for view in pages[visitor][1::2]]
        await asyncio.gather(a.page_views(ACCOUNT, SITE, batch_a), b.page_views(ACCOUNT, SITE, batch_b))

        def invited() -> dict[str, int]:
            counts: dict[str, int] = {}
            frames = [(f"visitor:{visitors[0]}", f) for f in place.frames] + heard
            for channel, body in frames:
                if body["type"] == "invitation":
                    assert body["rule_id"] == rule_id
                    counts[channel] = counts.get(channel, 0) + 1
            return counts

        assert await eventually(lambda: len(invited()) == VISITORS), f"{len(invited())} of {VISITORS} invited"
        await asyncio.gather(*(replica.evaluate(v) for v in visitors for replica in (a, b)))  # decided again
        await asyncio.sleep(0.5)  # a second frame, if any, would be here by now
        assert set(invited().values()) == {1}
        for visitor in visitors:
            shared = await a.store.get(visitor)
            assert shared is not None and shared.state.pages_viewed == 4
