"""Reports by customer segment (SEG-2): the daily counters of one segment of the account, fed by the rules'
`visitor.segment_changed` with the chat and tracking events; a segment the reports never heard of in the
caller's account is 404, a malformed id 422."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.common.events import (
    ConversationAccepted,
    ConversationStarted,
    Event,
    MessageCreated,
    PageView,
    PageviewsRecorded,
    VisitorSegmentChanged,
)
from services.common.settings import Settings
from services.reporting.app import create_app
from tests.helpers import as_identity, eventually, operator, running
from tests.services.test_reporting import deliver

NOW = datetime.now(UTC)
SHOP, RIVAL = "acc-shop", "acc-rival"
VALUABLE, LOW = "seg-valuable", "seg-low"


def entered(visitor_id: str, segment_id: str | None, at: datetime = NOW, account_id: str = SHOP) -> Event:
    name = {VALUABLE: "Most valuable", LOW: "Low potential"}.get(segment_id or "")
    change = VisitorSegmentChanged(site_id="s", visitor_id=visitor_id, segment_id=segment_id, segment_name=name, at=at)
    return change.to_event(account_id)


def pages(*visitors: str, account_id: str = SHOP) -> Event:
    views = [
        PageView(
            page_view_id=f"pv-{n}", visitor_id=v, visit_id="x", url="https://shop.example/", title="", viewed_at=NOW
        )
        for n, v in enumerate(visitors)
    ]
    return PageviewsRecorded(site_id="s", page_views=views).to_event(account_id)


def chat(conversation_id: str, visitor_id: str) -> list[Event]:
    started = ConversationStarted(conversation_id=conversation_id, site_id="s", visitor_id=visitor_id, started_at=NOW)
    accepted = ConversationAccepted(conversation_id=conversation_id, user_id="u", accepted_at=NOW, waited_seconds=20)
    message = MessageCreated(
        conversation_id=conversation_id,
        message_id=f"m-{conversation_id}",
        seq=1,
        sender_type="visitor",
        sender_id=visitor_id,
        text_length=3,
        created_at=NOW,
    )
    return [e.to_event(SHOP) for e in (started, accepted, message)]


async def summary(client: httpx.AsyncClient, settings: Settings, query: str, account_id: str = SHOP) -> httpx.Response:
    headers = as_identity(settings, operator(account_id=account_id))
    return await client.get(f"/api/v1/reports/summary{query}", headers=headers)


async def test_a_report_of_one_segment_counts_what_its_visitors_did_while_in_it(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        await deliver(app, entered("ann", VALUABLE), entered("bob", LOW), entered("eve", VALUABLE, account_id=RIVAL))
        await deliver(app, pages("ann", "ann", "bob", "carl"), *chat("c-ann", "ann"), *chat("c-bob", "bob"))
        await deliver(app, pages("eve", account_id=RIVAL))

        async def totals(query: str) -> dict[str, Any]:
            answer = await summary(client, settings, query)
            assert answer.status_code == 200, answer.text
            found: dict[str, Any] = answer.json()["totals"]
            return found

        async def counted() -> bool:
            return (await totals(""))["messages"] >= 2 and (await totals(f"?segment={VALUABLE}"))["messages"] >= 1

        assert await eventually(counted)
        everyone, valuable, low = (
            await totals(""),
            await totals(f"?segment={VALUABLE}"),
            await totals(f"?segment={LOW}"),
        )
        assert (everyone["pageviews"], everyone["conversations_started"], everyone["messages"]) == (4, 2, 2)
        assert (valuable["pageviews"], valuable["conversations_started"], valuable["conversations_accepted"]) == (
            2,
            1,
            1,
        )
        assert (valuable["messages"], valuable["average_wait_seconds"]) == (1, 20.0)
        assert (low["pageviews"], low["conversations_started"], low["messages"]) == (1, 1, 1)  # carl is in none

        # ann moves to the low segment: her later pages count there; her chat stays where it started
        await deliver(app, entered("ann", LOW, at=NOW + timedelta(seconds=5)), entered("ann", VALUABLE, at=NOW))
        await deliver(app, pages("ann"))

        async def moved() -> bool:
            return (await totals(f"?segment={LOW}"))["pageviews"] == 2

        assert await eventually(moved)
        assert (await totals(f"?segment={VALUABLE}"))["pageviews"] == 2


async def test_a_segment_of_another_account_or_unheard_of_is_404_and_a_malformed_one_422(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app) as client:
        await deliver(app, entered("eve", VALUABLE, account_id=RIVAL))

        async def heard() -> bool:
            return (await summary(client, settings, f"?segment={VALUABLE}", account_id=RIVAL)).status_code == 200

        assert await eventually(heard)
        for query in (f"?segment={VALUABLE}", "?segment=never-heard-of"):
            answer = await summary(client, settings, query)
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "segment_not_found"
        for bad in ("?segment=", "?segment=a%20b", "?segment=" + "x" * 65):
            answer = await summary(client, settings, bad)
            assert answer.status_code == 422, (bad, answer.text)
            assert "segment" in answer.text
