"""A live state the rules build afresh mid-visit (the rules restarted embedded, Redis flushed distributed) counts
"time on site" from the visit's real start, which tracking gives in `pageviews.recorded` (the `visit` context's
`started_at`), not from the first page view it sees: through the real event path, a visitor 10 minutes into their
visit whose live state was lost gets a "more than 5 minutes on site" rule at their next page, not 5 minutes later,
and a "more than 15 minutes" one not yet."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from services.common.db import utcnow
from services.common.events import PageView, PageviewsRecorded, VisitContext
from services.common.settings import Settings
from tests.helpers import eventually
from tests.rules.floor import floor
from tests.rules.test_durable_caps import Shop, create


def on_site_for_more_than(minutes: int) -> dict[str, Any]:
    return {
        "name": f"On the site for more than {minutes} minutes",
        "conditions": {"type": "time_on_site", "op": "gt", "seconds": minutes * 60},
        "actions": [{"type": "show_invitation", "text": "Still looking?"}],
    }


class StartedShop(Shop):
    """The durable-caps tests' shop, whose page views say when their visit started (or, as older events, not)."""

    async def create(self, body: dict[str, Any]) -> str:
        return await create(self.place, self.account, body)

    async def view_at(self, visitor: str, visit: str, at: datetime, started_at: datetime | None) -> None:
        """A page view of the visit as tracking publishes it: the visit's context (with its start, unless an
        older event) on it, the visitor's last page of the event."""
        page = PageView(
            page_view_id=str(uuid.uuid4()),
            visitor_id=visitor,
            visit_id=visit,
            url="https://shop.example/tv",
            title="Televisions",
            viewed_at=at,
            visit=VisitContext(arrived_via="direct", started_at=started_at),
        )
        event = PageviewsRecorded(site_id=self.account.site_id, page_views=[page]).to_event(self.account.id)
        await self.place.rules.state.runtime.bus.publish_event(event)

    async def live_since(self, visitor: str) -> float | None:
        """The start of the visit in the visitor's live state (None: no live state)."""
        live = await self.place.rules.state.live_rules.store.get(visitor)
        return None if live is None else live.state.visit_started_at


async def test_time_on_site_counts_from_the_visits_start_after_the_live_state_is_lost(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = StartedShop(place, await place.account())
        # One visitor's events carry their visit's start; the other's are older events, without it.
        visitor, older = str(uuid.uuid4()), str(uuid.uuid4())
        await shop.listen(visitor, older)
        started = utcnow() - timedelta(minutes=10)
        visits = {visitor: str(uuid.uuid4()), older: str(uuid.uuid4())}
        for who in (visitor, older):  # they arrived 10 minutes ago
            await shop.view_at(who, visits[who], started, started if who == visitor else None)
            assert await eventually(lambda w=who: _is(shop.live_since(w), started.timestamp()))  # type: ignore[misc]
            await shop.lose_live_state(who)  # the rules restart (embedded) or Redis is flushed (distributed)

        over_15 = await shop.create(on_site_for_more_than(15))
        over_5 = await shop.create(on_site_for_more_than(5))
        now = utcnow()
        await shop.view_at(visitor, visits[visitor], now, started)
        await shop.view_at(older, visits[older], now, None)

        # Built afresh, the live state starts at the visit's start: "more than 5 minutes" fires at once.
        assert await eventually(lambda: shop.heard[visitor] == [over_5], seconds=10), shop.heard
        # (The state is written after the invitation goes out; a write that failed is done again by the retry.)
        assert await eventually(lambda: _is(shop.live_since(visitor), started.timestamp()))
        for rule_id, matched in ((over_5, True), (over_15, False)):
            found = await shop.explained(rule_id, visitor)
            assert found is not None and found["matched"] is matched
            assert 600 <= found["tree"]["value"] < 660  # about 10 minutes on the site
        # Without the start (an older event) it can only count from the page view it saw: nothing yet.
        assert await eventually(lambda: _is(shop.live_since(older), now.timestamp()))
        found = await shop.explained(over_5, older)
        assert found is not None and not found["matched"] and found["tree"]["value"] < 60
        await asyncio.sleep(0.5)
        assert shop.heard == {visitor: [over_5], older: []}


async def _is(found: Any, expected: float) -> bool:
    return bool(await found == expected)
