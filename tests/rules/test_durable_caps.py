"""The frequency caps that span visits (ENG-5: "not again for N days", "at most N shows") outlive the visitor's
live state: through the real event path (tracking's `pageviews.recorded` consumed by the rules service, the
invitations heard on the visitor's channel), a visitor whose rules fired and whose live state is gone (30 idle
minutes; here, at once) comes back and is still held back by them, while a visitor who never saw the rule gets
it; erasing a visitor forgets their rules' past with the rest. The caps of one visit ("once per visit", "not
again this visit after a close") outlive a live state lost within the visit (a rules restart, Redis flushed): the
same visit's next page does not fire the rule again, the next visit's does."""

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from services.common.db import utcnow
from services.common.events import Event, InvitationClosed, PageView, PageviewsRecorded, VisitorErased
from services.common.settings import Settings
from services.rules.models import visitor_rule_history
from tests.helpers import eventually
from tests.rules.floor import Account, Floor, floor

NOT_AGAIN = {
    "name": "Not again for a week",
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 1},
    "actions": [{"type": "show_invitation", "text": "Welcome!"}],
    "caps": {"not_again_days": 7},
}
AT_MOST_TWICE = {
    "name": "At most twice",
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 1},
    "actions": [{"type": "show_invitation", "text": "Can I help?"}],
    "caps": {"max_shows": 2, "once_per_visit": False},  # so only "at most twice" holds it back
}
ONCE_PER_VISIT = {
    "name": "Once a visit",
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 1},
    "actions": [{"type": "show_invitation", "text": "Hello again!"}],
    "caps": {"once_per_visit": True},
}
UNTIL_CLOSED = {
    "name": "Every page until closed",
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 1},
    "actions": [{"type": "show_invitation", "text": "Still here?"}],
    "caps": {"once_per_visit": False, "not_after_closed_this_visit": True},  # only the close holds it back
}


async def create(place: Floor, account: Account, body: dict[str, Any]) -> str:
    made = await place.client.post(f"/api/v1/sites/{account.site_id}/rules", json=body, headers=account.admin)
    assert made.status_code == 201, made.text
    rule_id: str = made.json()["id"]
    return rule_id


class Shop:
    """One account's site on the floor: page views published as tracking does, invitations heard per visitor."""

    def __init__(self, place: Floor, account: Account) -> None:
        self.place, self.account = place, account
        self.heard: dict[str, list[str]] = {}  # visitor -> the rule ids of the invitations they got, in order

    async def listen(self, *visitors: str) -> None:
        async def heard(channel: str, frame: dict[str, Any]) -> None:
            if frame.get("type") == "invitation":
                self.heard[channel.removeprefix("visitor:")].append(frame["rule_id"])

        for visitor in visitors:
            self.heard[visitor] = []
            await self.place.rules.state.runtime.bus.subscribe(f"visitor:{visitor}", heard)
        await asyncio.sleep(0.2)  # the subscriptions in place (Redis)

    async def view(self, visitor: str, visit: str) -> None:
        page = PageView(
            page_view_id=str(uuid.uuid4()),
            visitor_id=visitor,
            visit_id=visit,
            url="https://shop.example/tv",
            title="Televisions",
            viewed_at=utcnow(),
        )
        event: Event = PageviewsRecorded(site_id=self.account.site_id, page_views=[page]).to_event(self.account.id)
        await self.place.rules.state.runtime.bus.publish_event(event)

    async def invited(self, visitor: str, count: int) -> list[str]:
        """The rules of the visitor's invitations once there are `count` of them."""
        assert await eventually(lambda: len(self.heard[visitor]) >= count), self.heard[visitor]
        return self.heard[visitor]

    async def kept(self, visitor: str) -> dict[str, int]:
        """The visitor's rules' firings ever as the rules' database keeps them (rule -> how many)."""
        history = visitor_rule_history.c
        query = select(history.rule_id, history.fired_total).where(history.visitor_id == visitor)
        async with self.place.rules.state.runtime.db.reading() as conn:
            return {rule_id: total for rule_id, total in await conn.execute(query)}

    async def close(self, visitor: str, rule_id: str) -> None:
        """The visitor closes the rule's invitation (the gateway's `invitation.closed`)."""
        closed = InvitationClosed(
            invitation_id=f"r-{uuid.uuid4().hex[:24]}",
            site_id=self.account.site_id,
            visitor_id=visitor,
            rule_id=rule_id,
            variant="default",
            at=utcnow(),
        )
        await self.place.rules.state.runtime.bus.publish_event(closed.to_event(self.account.id))

    async def closed_kept(self, visitor: str, rule_id: str) -> bool:
        """Whether the rules' database keeps a close of the rule's invitation by the visitor."""
        history = visitor_rule_history.c
        query = select(history.closed_visit_id).where(history.visitor_id == visitor, history.rule_id == rule_id)
        async with self.place.rules.state.runtime.db.reading() as conn:
            return (await conn.execute(query)).scalar() is not None

    async def lose_live_state(self, visitor: str) -> None:
        """The visitor's live state is lost (the rules restarted embedded, Redis flushed distributed)."""
        store = self.place.rules.state.live_rules.store
        await store.forget(visitor, self.account.id)
        assert await store.get(visitor) is None

    async def held_back(self, rule_id: str, visitor: str, reason: str) -> bool:
        """The visitor's live state is back and the rule's caps hold it back for `reason`."""
        found = await self.explained(rule_id, visitor)
        return found is not None and found["caps"] == {"allowed": False, "reason": reason}

    async def explained(self, rule_id: str, visitor: str) -> Any:
        path = f"/api/v1/rules/{rule_id}/explain/{visitor}"
        answer = await self.place.client.get(path, headers=self.account.admin)
        return answer.json() if answer.status_code == 200 else None


async def test_caps_across_visits_hold_after_the_live_state_is_gone(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = Shop(place, await place.account())
        not_again, at_most_twice = (
            await create(place, shop.account, NOT_AGAIN),
            await create(place, shop.account, AT_MOST_TWICE),
        )
        regular, newcomer = str(uuid.uuid4()), str(uuid.uuid4())
        await shop.listen(regular, newcomer)

        # First visit: the first rule fires at the first page (one invitation at a time), the second at the next.
        first_visit = str(uuid.uuid4())
        await shop.view(regular, first_visit)
        assert await shop.invited(regular, 1) == [not_again]
        await shop.view(regular, first_visit)
        assert await shop.invited(regular, 2) == [not_again, at_most_twice]
        assert await eventually(lambda: _equal(shop.kept(regular), {not_again: 1, at_most_twice: 1}))

        # Their live state goes; they come back the next visit.
        await place.rules.state.live_rules.forget(regular)
        assert await shop.explained(not_again, regular) is None
        second_visit = str(uuid.uuid4())
        await shop.view(regular, second_visit)
        # "not again for 7 days" holds the first rule back: the second fires, for the second and last time
        assert await shop.invited(regular, 3) == [not_again, at_most_twice, at_most_twice]
        await shop.view(regular, second_visit)

        async def second_page_seen() -> bool:
            found = await shop.explained(at_most_twice, regular)
            return found is not None and found["tree"]["value"] == 2

        assert await eventually(second_page_seen)
        assert (await shop.explained(at_most_twice, regular))["caps"] == {"allowed": False, "reason": "max_shows"}
        assert (await shop.explained(not_again, regular))["caps"] == {"allowed": False, "reason": "not_again_days"}
        await asyncio.sleep(0.5)
        assert shop.heard[regular] == [not_again, at_most_twice, at_most_twice]  # nothing more
        assert await eventually(lambda: _equal(shop.kept(regular), {not_again: 1, at_most_twice: 2}))

        # A visitor who never saw the rules gets the first at their first page.
        await shop.view(newcomer, str(uuid.uuid4()))
        assert await shop.invited(newcomer, 1) == [not_again]


async def test_erasing_a_visitor_forgets_their_rules_past(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = Shop(place, await place.account())
        not_again = await create(place, shop.account, NOT_AGAIN)
        erased, kept = str(uuid.uuid4()), str(uuid.uuid4())
        await shop.listen(erased, kept)
        for visitor in (erased, kept):
            await shop.view(visitor, str(uuid.uuid4()))
            assert await shop.invited(visitor, 1) == [not_again]
            assert await eventually(lambda v=visitor: _equal(shop.kept(v), {not_again: 1}))  # type: ignore[misc]

        erasure = VisitorErased(visitor_id=erased, erased_at=utcnow()).to_event(shop.account.id)
        await place.rules.state.runtime.bus.publish_event(erasure)
        assert await eventually(lambda: _equal(shop.kept(erased), {}))
        assert await shop.kept(kept) == {not_again: 1}

        # Erased, they are someone new: "not again for 7 days" no longer holds them back.
        await shop.view(erased, str(uuid.uuid4()))
        assert await shop.invited(erased, 2) == [not_again, not_again]


async def _equal(found: Any, expected: dict[str, int]) -> bool:
    return bool(await found == expected)


async def test_once_per_visit_holds_within_the_visit_after_the_live_state_is_lost(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = Shop(place, await place.account())
        once = await create(place, shop.account, ONCE_PER_VISIT)
        visitor = str(uuid.uuid4())
        await shop.listen(visitor)
        visit = str(uuid.uuid4())
        await shop.view(visitor, visit)
        assert await shop.invited(visitor, 1) == [once]
        assert await eventually(lambda: _equal(shop.kept(visitor), {once: 1}))

        # The rules lose the live state mid-visit; the visitor's next page in the same visit builds it afresh.
        await shop.lose_live_state(visitor)
        await shop.view(visitor, visit)
        assert await eventually(lambda: shop.held_back(once, visitor, "once_per_visit"))
        await asyncio.sleep(0.5)
        assert shop.heard[visitor] == [once]  # not shown again this visit

        # Their next visit (tracking starts one after 30 idle minutes: a new visit id) gets it again.
        await shop.view(visitor, str(uuid.uuid4()))
        assert await shop.invited(visitor, 2) == [once, once]
        assert await eventually(lambda: _equal(shop.kept(visitor), {once: 2}))


async def test_a_closed_invitation_stays_closed_this_visit_after_the_live_state_is_lost(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = Shop(place, await place.account())
        rule = await create(place, shop.account, UNTIL_CLOSED)
        # One closes the invitation before the live state is lost, the other after (while there is none).
        before, after = str(uuid.uuid4()), str(uuid.uuid4())
        await shop.listen(before, after)
        visits = {before: str(uuid.uuid4()), after: str(uuid.uuid4())}
        for visitor in (before, after):
            await shop.view(visitor, visits[visitor])
            assert await shop.invited(visitor, 1) == [rule]
            await shop.view(visitor, visits[visitor])  # not closed: shown again at the next page
            assert await shop.invited(visitor, 2) == [rule, rule]
            assert await eventually(lambda v=visitor: _equal(shop.kept(v), {rule: 2}))  # type: ignore[misc]

        await shop.close(before, rule)
        assert await eventually(lambda: shop.held_back(rule, before, "closed_this_visit"))
        assert await eventually(lambda: shop.closed_kept(before, rule))
        await shop.lose_live_state(before)
        await shop.lose_live_state(after)
        await shop.close(after, rule)
        assert await eventually(lambda: shop.closed_kept(after, rule))

        for visitor in (before, after):
            await shop.view(visitor, visits[visitor])
            assert await eventually(lambda v=visitor: shop.held_back(rule, v, "closed_this_visit"))  # type: ignore[misc]
        await asyncio.sleep(0.5)
        assert shop.heard == {before: [rule, rule], after: [rule, rule]}  # not shown again this visit

        # The next visit starts over: shown again.
        for visitor in (before, after):
            await shop.view(visitor, str(uuid.uuid4()))
            assert await shop.invited(visitor, 3) == [rule, rule, rule]
