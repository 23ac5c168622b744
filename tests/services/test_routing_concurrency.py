"""Assignment is atomic (ROUTE-3) with several chat replicas on one PostgreSQL: three chat apps, each with its own
connection pool and Redis connection, take many chats at once (and their operators accept and close them at
once, through any replica). No chat is offered to two operators, and no operator ever holds more than their
capacity (a sampler reads every operator's load from the database all along). On SQLite (embedded: one process)
the same with one app, its requests concurrent on its connections."""

import asyncio
import random
import uuid
from contextlib import AsyncExitStack
from typing import Any

import httpx

from services.chat.app import create_app as create_chat
from services.chat.routing.capacity import loads
from services.common.settings import Settings
from services.common.tokens import Identity
from tests.helpers import as_identity, eventually, running, visitor

OPERATORS = 8
CAPACITY = {0: 1, 1: 5}  # overrides by operator index; the others have the account default, 3
DEFAULT = 3
FIRST_WAVE = 40
SECOND_WAVE = 20


async def test_chats_started_at_once_on_three_replicas_are_offered_once_each_and_never_beyond_capacity(
    settings: Settings,
) -> None:
    account = str(uuid.uuid4())
    admin = Identity(kind="user", account_id=account, user_id=str(uuid.uuid4()), role="admin", name="Admin")
    team = [
        Identity(kind="user", account_id=account, user_id=str(uuid.uuid4()), role="operator", name=f"Op {i}")
        for i in range(OPERATORS)
    ]
    capacity = {op.user_id: CAPACITY.get(i, DEFAULT) for i, op in enumerate(team)}
    replicas = [create_chat(settings) for _ in range(3 if settings.redis_url else 1)]
    offers: list[dict[str, Any]] = []

    async def record(_: str, body: dict[str, Any]) -> None:
        if body.get("type") == "conversation.offered":
            offers.append(body)

    async with AsyncExitStack() as stack:
        clients: list[httpx.AsyncClient] = []
        for app in replicas:  # one after the other: the first migrates the database
            clients.append(await stack.enter_async_context(running(app)))

        def any_replica() -> httpx.AsyncClient:
            return random.choice(clients)

        async def call(method: str, path: str, who: Identity, body: Any = None) -> httpx.Response:
            return await any_replica().request(method, path, json=body, headers=as_identity(settings, who))

        await replicas[0].state.runtime.bus.subscribe(f"account:{account}", record)
        for index, op in enumerate(team):
            assert (await call("PUT", "/api/v1/me/presence", op, {"status": "online"})).status_code == 200
            if index in CAPACITY:
                answer = await call(
                    "PUT", f"/api/v1/operators/{op.user_id}/capacity", admin, {"max_chats": CAPACITY[index]}
                )
                assert answer.status_code == 200
        members = [{"user_id": op.user_id} for op in team]
        assert (await call("POST", "/api/v1/queues", admin, {"name": "All", "members": members})).status_code == 201
        db = replicas[0].state.runtime.db
        worst: dict[str, int] = {}
        sampling = True

        async def sample() -> None:
            while sampling:
                async with db.reading() as conn:
                    for user_id, held in (await loads(conn, account)).items():
                        worst[user_id] = max(worst.get(user_id, 0), held)
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample())
        stack.callback(sampler.cancel)

        async def start() -> str:
            guest = visitor(account_id=account, site_id="site-routing")
            answer = await call("POST", "/api/v1/conversations", guest, {})
            assert answer.status_code == 201, answer.text
            conversation_id: str = answer.json()["id"]
            return conversation_id

        first = await asyncio.gather(*(start() for _ in range(FIRST_WAVE)))
        room = sum(capacity.values())
        assert await eventually(lambda: len(offers) >= room, 30)
        await asyncio.sleep(0.3)  # any offer too many would arrive now
        assert len(offers) == room  # every place taken, once
        assert len({o["conversation"]["id"] for o in offers}) == room  # no chat offered twice
        per_operator = {user_id: sum(o["user_id"] == user_id for o in offers) for user_id in capacity}
        assert per_operator == capacity  # each operator exactly full, none beyond

        # Operators accept and close their offers through any replica while more chats arrive: the room a close
        # frees is offered on whichever replica closed, concurrently with the others.
        handled: set[str] = set()
        by_id = {op.user_id: op for op in team}

        async def work(op: Identity) -> None:
            while len(handled) < FIRST_WAVE + SECOND_WAVE:
                mine = [o for o in offers if o["user_id"] == op.user_id and o["conversation"]["id"] not in handled]
                if not mine:
                    await asyncio.sleep(0.01)
                    continue
                conversation_id = mine[0]["conversation"]["id"]
                handled.add(conversation_id)
                accepted = await call("POST", f"/api/v1/conversations/{conversation_id}/accept", by_id[op.user_id])
                assert accepted.status_code == 200, accepted.text
                closed = await call("POST", f"/api/v1/conversations/{conversation_id}/close", by_id[op.user_id])
                assert closed.status_code == 200, closed.text

        workers = [asyncio.create_task(work(op)) for op in team]
        try:
            second = await asyncio.gather(*(start() for _ in range(SECOND_WAVE)))
            async with asyncio.timeout(30):
                await asyncio.gather(*workers)
        finally:
            sampling = False
            for worker in workers:
                worker.cancel()
            await asyncio.gather(sampler, *workers, return_exceptions=True)

    offered = [o["conversation"]["id"] for o in offers]
    assert sorted(offered) == sorted([*first, *second])  # every chat offered, each exactly once
    assert all(worst.get(user_id, 0) <= capacity[user_id] for user_id in capacity), (worst, capacity)
    assert any(worst.get(user_id, 0) == capacity[user_id] for user_id in capacity)  # the sampler saw them full
