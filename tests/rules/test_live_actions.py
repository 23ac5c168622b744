"""A rule's other actions when it fires: `notify_operators` puts a `visitor.highlight` frame on the account's
channel (the operators' consoles), `tag_visitor` keeps the tag on the visitor (in the live state, and as a
`visitor.tagged` event), each once per firing; nothing reaches another account."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from services.common.events import Event, PageView, VisitorTagged
from services.common.settings import Settings
from services.rules.live import LiveRules
from tests.helpers import eventually
from tests.rules.floor import floor

RULE = {
    "name": "Big spender",
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 2},
    "actions": [
        {"type": "notify_operators", "highlight": True, "sound": True},
        {"type": "tag_visitor", "tag": "hot-lead"},
    ],
}


async def test_notify_operators_highlights_the_visitor_and_tag_visitor_tags_them_once(settings: Settings) -> None:
    async with floor(settings) as place:
        shop, rival = await place.account(), await place.account("Rival")
        made = await place.client.post(f"/api/v1/sites/{shop.site_id}/rules", json=RULE, headers=shop.admin)
        assert made.status_code == 201, made.text
        runtime = place.rules.state.runtime
        live: LiveRules = place.rules.state.live_rules
        frames: dict[str, list[dict[str, Any]]] = {shop.id: [], rival.id: []}
        tagged: list[Event] = []

        async def heard(channel: str, frame: dict[str, Any]) -> None:
            frames[channel.removeprefix("account:")].append(frame)

        async def probe(event: Event) -> None:
            tagged.append(event)

        for account_id in frames:
            await runtime.bus.subscribe(f"account:{account_id}", heard)
        await runtime.bus.consume(f"probe-{uuid.uuid4().hex[:6]}", [VisitorTagged.TYPE], probe)
        await asyncio.sleep(0.2)  # the subscriptions in place (Redis)

        visitor, visit = str(uuid.uuid4()), str(uuid.uuid4())
        for n in range(3):  # fires at the second page; once per visit
            view = PageView(
                page_view_id=str(uuid.uuid4()),
                visitor_id=visitor,
                visit_id=visit,
                url=f"https://shop.example/p{n}",
                title="P",
                viewed_at=datetime.now(UTC),
            )
            await live.page_views(shop.id, shop.site_id, [view])

        assert await eventually(lambda: bool(frames[shop.id]) and bool(tagged))
        await asyncio.sleep(0.3)
        [highlight] = frames[shop.id]
        assert highlight["type"] == "visitor.highlight"
        assert (highlight["visitor_id"], highlight["rule_id"], highlight["sound"]) == (visitor, made.json()["id"], True)
        assert highlight["current_url"] == "https://shop.example/p1"
        assert frames[rival.id] == []
        [event] = tagged
        assert event.account_id == shop.id
        assert (event.payload["visitor_id"], event.payload["tags"]) == (visitor, ["hot-lead"])
        kept = await live.store.get(visitor)
        assert kept is not None and kept.state.tags == {"hot-lead"}
