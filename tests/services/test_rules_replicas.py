"""Two rules replicas on one Redis and one PostgreSQL (issue 12): whichever replica reads a visitor's page views,
the visitor's live state adds up in the shared visitor store, and a firing both decide at once is published
once; a presence change read by one replica re-evaluates the visitors whose page views the other read; a rule
edited through one replica is read again by the other before its next evaluation (each caches the rules).

Distributed only (embedded, the rules run in one process)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.common.bus import RedisBus
from services.common.events import (
    ConversationClosed,
    ConversationStarted,
    OperatorPresenceChanged,
    PageView,
    SiteCreated,
)
from services.common.settings import Settings
from services.common.tokens import Identity
from services.rules.app import create_app as create_rules
from services.rules.consumers import LiveAnswers, RecordPresence
from services.rules.engine import VisitorState
from services.rules.live import LiveRules
from services.rules.live_store import LiveVisitor, RedisVisitors
from tests.helpers import as_identity, eventually

ACCOUNT, SITE = str(uuid.uuid4()), str(uuid.uuid4())


@dataclass
class Replicas:
    apps: list[FastAPI]
    bus: RedisBus
    frames: list[dict[str, Any]]

    def live(self, index: int) -> LiveRules:
        live: LiveRules = self.apps[index].state.live_rules
        return live


@asynccontextmanager
async def replicas(settings: Settings, channel: str) -> AsyncIterator[Replicas]:
    if settings.redis_url is None:
        pytest.skip("replicas run distributed (Redis); embedded, the rules are one process")
    bus = RedisBus(settings.redis_url, prefix=settings.redis_prefix)
    await bus.start()
    frames: list[dict[str, Any]] = []

    async def heard(_: str, frame: dict[str, Any]) -> None:
        frames.append(frame)

    async with AsyncExitStack() as stack:
        stack.push_async_callback(bus.stop)
        apps = [create_rules(settings), create_rules(settings)]
        for app in apps:  # one after the other: the first migrates the shared database
            await stack.enter_async_context(app.router.lifespan_context(app))
        await bus.subscribe(channel, heard)

        async def listening() -> bool:
            await bus.publish(channel, {"type": "ping"})
            await asyncio.sleep(0.05)
            return any(f["type"] == "ping" for f in frames)

        assert await eventually(listening)
        site = SiteCreated(site_id=SITE, site_key=uuid.uuid4().hex, name="Shop", domains=[], allowed_origins=[])
        await bus.publish_event(site.to_event(ACCOUNT))
        yield Replicas(apps, bus, frames)


async def add_rule(place: Replicas, settings: Settings, conditions: dict[str, Any]) -> str:
    admin = Identity(kind="user", account_id=ACCOUNT, user_id="admin-1", role="admin")
    headers = as_identity(settings, admin)
    rule = {"name": "Third page", "conditions": conditions, "actions": [{"type": "show_invitation", "text": "Hi!"}]}
    transport = httpx.ASGITransport(app=place.apps[0])
    async with httpx.AsyncClient(transport=transport, base_url="http://rules") as client:
        answers: list[httpx.Response] = []

        async def created() -> bool:  # once the site's event reached the read model
            answers.append(await client.post(f"/api/v1/sites/{SITE}/rules", json=rule, headers=headers))
            return answers[-1].status_code == 201

        assert await eventually(created), answers[-1].text
        rule_id: str = answers[-1].json()["id"]
        return rule_id


def views(visitor_id: str, count: int) -> list[PageView]:
    visit_id, start = str(uuid.uuid4()), datetime.now(UTC) - timedelta(seconds=count)
    return [
        PageView(
            page_view_id=str(uuid.uuid4()),
            visitor_id=visitor_id,
            visit_id=visit_id,
            url=f"https://shop.example/p{n}",
            title=f"Page {n}",
            viewed_at=start + timedelta(seconds=n),
        )
        for n in range(count)
    ]


def invitations(place: Replicas) -> list[dict[str, Any]]:
    return [f for f in place.frames if f["type"] == "invitation"]


async def test_page_views_split_between_two_replicas_add_up_and_the_invitation_is_published_once(
    settings: Settings,
) -> None:
    visitor = str(uuid.uuid4())
    async with replicas(settings, f"visitor:{visitor}") as place:
        rule_id = await add_rule(place, settings, {"type": "pages_viewed", "op": "ge", "value": 3})
        a, b = place.live(0), place.live(1)
        pages = views(visitor, 6)
        await a.page_views(ACCOUNT, SITE, pages[0:1])
        await b.page_views(ACCOUNT, SITE, pages[1:2])
        assert invitations(place) == []
        # The third and fourth pages read by each replica at the same moment: one of them sees 3 pages first.
        await asyncio.gather(a.page_views(ACCOUNT, SITE, pages[2:3]), b.page_views(ACCOUNT, SITE, pages[3:4]))
        await asyncio.gather(a.page_views(ACCOUNT, SITE, pages[4:5]), b.page_views(ACCOUNT, SITE, pages[5:6]))
        await asyncio.gather(a.evaluate(visitor), b.evaluate(visitor))
        assert await eventually(lambda: len(invitations(place)) >= 1)
        await asyncio.sleep(0.3)  # a second frame, if any, would be here by now
        [frame] = invitations(place)
        assert frame["rule_id"] == rule_id
        for replica in (a, b):  # each read three of the six pages; both see six
            shared = await replica.store.get(visitor)
            assert shared is not None and shared.state.pages_viewed == 6


async def test_a_presence_change_read_by_one_replica_invites_a_visitor_whose_pages_the_other_read(
    settings: Settings,
) -> None:
    visitor = str(uuid.uuid4())
    async with replicas(settings, f"visitor:{visitor}") as place:
        olga = {"type": "operators_online", "operator_ids": ["olga"]}
        await add_rule(place, settings, {"type": "and", "conditions": [olga, {"type": "pages_viewed", "value": 2}]})
        a, b = place.live(0), place.live(1)
        await b.page_views(ACCOUNT, SITE, views(visitor, 2))
        assert invitations(place) == []
        online = OperatorPresenceChanged(
            user_id="olga", status="online", max_chats=2, active_chats=0, queue_ids=[], at=datetime.now(UTC)
        )
        runtime = place.apps[0].state.runtime
        await RecordPresence(runtime, a).handle_batch([online.to_event(ACCOUNT)])
        assert await eventually(lambda: len(invitations(place)) == 1)
        await b.evaluate(visitor)  # the other replica, with the same presence now: the same firing, not again
        await asyncio.sleep(0.3)
        assert len(invitations(place)) == 1


async def test_a_chat_started_on_one_replica_and_closed_on_the_other_ends_the_visitors_chatting(
    settings: Settings,
) -> None:
    visitor, conversation = str(uuid.uuid4()), str(uuid.uuid4())
    async with replicas(settings, f"visitor:{visitor}") as place:
        a, b = place.live(0), place.live(1)
        await a.page_views(ACCOUNT, SITE, views(visitor, 1))
        now = datetime.now(UTC)
        started = ConversationStarted(conversation_id=conversation, site_id=SITE, visitor_id=visitor, started_at=now)
        await LiveAnswers(a)(started.to_event(ACCOUNT))

        async def chat_state() -> str:
            shared = await b.store.get(visitor)
            assert shared is not None
            return shared.state.chat_state

        assert await chat_state() == "active"  # "never while chatting" holds on both replicas
        closed = ConversationClosed(conversation_id=conversation, closed_by="visitor", closed_at=now)
        await LiveAnswers(b)(closed.to_event(ACCOUNT))
        assert await chat_state() == "none"


async def test_a_rule_disabled_through_one_replica_never_fires_on_the_other_which_had_it_cached(
    settings: Settings,
) -> None:
    visitor = str(uuid.uuid4())
    async with replicas(settings, f"visitor:{visitor}") as place:
        rule_id = await add_rule(place, settings, {"type": "pages_viewed", "op": "ge", "value": 2})
        b = place.live(1)
        pages = views(visitor, 3)
        await b.page_views(ACCOUNT, SITE, pages[0:1])  # the second replica has the site's rules cached now
        admin = Identity(kind="user", account_id=ACCOUNT, user_id="admin-1", role="admin")
        transport = httpx.ASGITransport(app=place.apps[0])
        async with httpx.AsyncClient(transport=transport, base_url="http://rules") as client:

            async def enabled(value: bool) -> None:
                answer = await client.patch(
                    f"/api/v1/rules/{rule_id}", json={"enabled": value}, headers=as_identity(settings, admin)
                )
                assert answer.status_code == 200, answer.text

            await enabled(False)  # through the first replica
            await b.page_views(ACCOUNT, SITE, pages[1:2])  # the second page, read by the second replica
            await asyncio.sleep(0.3)
            assert invitations(place) == []
            await enabled(True)
            await b.page_views(ACCOUNT, SITE, pages[2:3])
            assert await eventually(lambda: len(invitations(place)) == 1)


async def test_a_visitor_one_task_holds_is_neither_seen_nor_changed_by_another_task_of_the_replica(
    settings: Settings,
) -> None:
    if settings.redis_url is None:
        pytest.skip("the shared visitor store is Redis (distributed)")
    store = RedisVisitors(settings.redis_url, settings.redis_prefix)
    visitor = str(uuid.uuid4())
    await store.put(LiveVisitor(VisitorState(visitor_id=visitor, site_id=SITE, account_id=ACCOUNT, pages_viewed=1)))
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with store.locked(visitor):
            live = await store.get(visitor)
            assert live is not None
            live.state = replace(live.state, pages_viewed=2)
            await store.put(live)  # written when the lock is released
            holding.set()
            await release.wait()

    task = asyncio.create_task(holder())
    try:
        await holding.wait()
        seen = await store.get(visitor)  # another task of the replica: what the store has, not the change in flight
        assert seen is not None and seen.state.pages_viewed == 1
        release.set()
        await task
        after = await store.get(visitor)
        assert after is not None and after.state.pages_viewed == 2
    finally:
        release.set()
        await store.close()
