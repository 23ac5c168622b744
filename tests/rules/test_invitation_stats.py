"""What became of the rules' invitations (ENG-7) and the visitors' last chats, through the real event path: the
gateway's `invitation.*` events and chat's `conversation.*` published on the bus, consumed by the rules service,
read back through the gateway (`GET /sites/{id}/rules?stats=true`, the rules' explanation). Per rule and per A/B
variant, each event counted once however often it is delivered; supervisors and admins only, another account's
site 404. A visitor who chatted and whose live state is gone is still "last chat N ago" and held back by "not for
N hours after a chat"."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from services.common.db import utcnow
from services.common.events import (
    ConversationClosed,
    ConversationStarted,
    Event,
    InvitationAccepted,
    InvitationClosed,
    InvitationExpired,
    InvitationShown,
    PageView,
    PageviewsRecorded,
)
from services.common.settings import Settings
from services.rules.models import visitor_stats
from tests.helpers import eventually
from tests.rules.floor import Account, Floor, floor

A_B = {
    "name": "Laptops A/B",
    "enabled": False,  # counted all the same: these invitations were shown before it was disabled
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 2},
    "actions": [
        {
            "type": "show_invitation",
            "text": "Need a hand?",
            "variants": [
                {"key": "A", "text": "Need a hand?", "split": 50},
                {"key": "B", "text": "Hi there!", "split": 50},
            ],
        }
    ],
}
OPEN_CHAT = {
    "name": "Leaving",
    "enabled": False,
    "conditions": {"type": "exit_intent"},
    "actions": [{"type": "open_chat"}],
}


async def create(place: Floor, account: Account, body: dict[str, Any]) -> str:
    made = await place.client.post(f"/api/v1/sites/{account.site_id}/rules", json=body, headers=account.admin)
    assert made.status_code == 201, made.text
    rule_id: str = made.json()["id"]
    return rule_id


async def publish(place: Floor, *events: Event) -> None:
    bus = place.rules.state.runtime.bus
    for event in events:
        await bus.publish_event(event)


def invitation(kind: type[Any], account: Account, rule_id: str | None, variant: str | None, **more: Any) -> Event:
    """One of the gateway's `invitation.*` events (a new invitation each time)."""
    payload = kind(
        invitation_id=f"r-{uuid.uuid4().hex[:24]}",
        site_id=account.site_id,
        visitor_id=str(uuid.uuid4()),
        rule_id=rule_id,
        variant=variant,
        operator_id=None if rule_id else "olga",
        at=utcnow(),
        **more,
    )
    event: Event = payload.to_event(account.id)
    return event


def chat_of(account: Account, rule_id: str | None, variant: str | None) -> Event:
    started = ConversationStarted(
        conversation_id=str(uuid.uuid4()),
        site_id=account.site_id,
        visitor_id=str(uuid.uuid4()),
        started_at=utcnow(),
        invitation_id=f"r-{uuid.uuid4().hex[:24]}" if rule_id else None,
        rule_id=rule_id,
        variant=variant,
    )
    return started.to_event(account.id)


async def stats(place: Floor, account: Account, headers: dict[str, str] | None = None) -> Any:
    answer = await place.client.get(
        f"/api/v1/sites/{account.site_id}/rules", params={"stats": "true"}, headers=headers or account.admin
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["stats"]


def counts(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry[k] for k in ("shown", "accepted", "closed", "expired", "chats_started", "acceptance_rate"))


async def test_invitations_are_counted_per_rule_and_variant_each_event_once(settings: Settings) -> None:
    async with floor(settings) as place:
        shop, other = await place.account(), await place.account("Other")
        a_b, open_chat = await create(place, shop, A_B), await create(place, shop, OPEN_CHAT)
        accepted_a = invitation(InvitationAccepted, shop, a_b, "A", conversation_id=str(uuid.uuid4()))
        events = [
            invitation(InvitationShown, shop, a_b, "A"),
            invitation(InvitationShown, shop, a_b, "A"),
            invitation(InvitationShown, shop, a_b, "A"),
            invitation(InvitationShown, shop, a_b, "A"),
            invitation(InvitationShown, shop, a_b, "B"),
            invitation(InvitationShown, shop, a_b, "B"),
            accepted_a,
            invitation(InvitationClosed, shop, a_b, "B"),
            invitation(InvitationExpired, shop, a_b, "A", shown=True),
            chat_of(shop, a_b, "A"),
            invitation(InvitationShown, shop, open_chat, None),
            chat_of(shop, None, None),  # a chat the visitor started themselves: no rule's
            invitation(InvitationShown, shop, None, None),  # an operator's call: no rule's
            invitation(InvitationShown, other, a_b, "A"),  # another account's event never adds to this rule
        ]
        await publish(place, *events)
        await publish(place, accepted_a, events[0])  # delivered again (a redelivery, a replayed stream)

        async def counted() -> bool:
            return [counts(s) for s in await stats(place, shop)] == [(6, 1, 1, 1, 1, 0.1667), (1, 0, 0, 0, 0, 0.0)]

        assert await eventually(counted), await stats(place, shop)
        laptops, leaving = await stats(place, shop)
        assert laptops["rule_id"] == a_b and leaving["rule_id"] == open_chat
        assert {v["variant"]: counts(v) for v in laptops["variants"]} == {
            "A": (4, 1, 0, 1, 1, 0.25),
            "B": (2, 0, 1, 0, 0, 0.0),
        }
        assert [v["variant"] for v in leaving["variants"]] == [None]
        assert (await stats(place, other)) == []  # the other account's site has no rules

        # without `stats`, the listing is as before; supervisors read the counts, operators may not
        plain = await place.client.get(f"/api/v1/sites/{shop.site_id}/rules", headers=shop.admin)
        assert plain.json()["stats"] is None and len(plain.json()["rules"]) == 2
        by_supervisor = await stats(place, shop, await place.staff(shop, "supervisor"))
        assert counts(by_supervisor[0])[0] == 6
        refused = await place.client.get(
            f"/api/v1/sites/{shop.site_id}/rules",
            params={"stats": "true"},
            headers=await place.staff(shop, "operator"),
        )
        assert refused.status_code == 403, refused.text
        foreign = await place.client.get(
            f"/api/v1/sites/{shop.site_id}/rules", params={"stats": "true"}, headers=other.admin
        )
        assert foreign.status_code == 404, foreign.text


LAST_CHAT = {
    "name": "Chatted within the hour",
    "enabled": False,  # explained, never fired
    "conditions": {"type": "last_chat", "op": "le", "seconds": 3600},
    "actions": [{"type": "show_invitation", "text": "Welcome back!"}],
}
AFTER_CHAT = {
    "name": "Not right after a chat",
    "enabled": False,
    "conditions": {"type": "pages_viewed", "op": "ge", "value": 1},
    "actions": [{"type": "show_invitation", "text": "Hello!"}],
    "caps": {"hours_after_chat": 2},
}


async def test_a_visitor_whose_live_state_is_gone_is_still_known_to_have_chatted(settings: Settings) -> None:
    async with floor(settings) as place:
        shop = await place.account()
        last_chat, after_chat = await create(place, shop, LAST_CHAT), await create(place, shop, AFTER_CHAT)
        chatted, never = str(uuid.uuid4()), str(uuid.uuid4())

        def visit(*visitors: str) -> Event:
            views = [
                PageView(
                    page_view_id=str(uuid.uuid4()),
                    visitor_id=visitor,
                    visit_id=str(uuid.uuid4()),
                    url="https://shop.example/laptops",
                    title="Laptops",
                    viewed_at=utcnow(),
                )
                for visitor in visitors
            ]
            return PageviewsRecorded(site_id=shop.site_id, page_views=views).to_event(shop.id)

        async def explained(rule_id: str, visitor_id: str) -> Any:
            answer = await place.client.get(f"/api/v1/rules/{rule_id}/explain/{visitor_id}", headers=shop.admin)
            return answer.json() if answer.status_code == 200 else None

        async def live(visitor_id: str) -> bool:
            return await explained(last_chat, visitor_id) is not None

        await publish(place, visit(chatted, never))
        assert await eventually(lambda: live(chatted))
        conversation, now = str(uuid.uuid4()), utcnow()
        started = ConversationStarted(
            conversation_id=conversation,
            site_id=shop.site_id,
            visitor_id=chatted,
            started_at=now - timedelta(minutes=20),
        )
        closed = ConversationClosed(
            conversation_id=conversation, closed_by="visitor", closed_at=now - timedelta(minutes=10)
        )
        await publish(place, started.to_event(shop.id))

        async def chatting() -> bool:
            found = await explained(last_chat, chatted)
            return found is not None and found["caps"]["reason"] == "chatting" and found["matched"]

        assert await eventually(chatting)
        await publish(place, closed.to_event(shop.id))
        assert await eventually(lambda: closed_kept(place, conversation))

        # Their live state goes (30 idle minutes; here, at once), and both come back on a new visit.
        live_rules = place.rules.state.live_rules
        for visitor in (chatted, never):
            await live_rules.forget(visitor)
        assert await explained(last_chat, chatted) is None
        await publish(place, visit(chatted, never))
        assert await eventually(lambda: live(chatted)) and await eventually(lambda: live(never))

        again = await explained(last_chat, chatted)
        assert again["matched"] is True
        assert 590 <= again["tree"]["value"] <= 700  # since the chat's close, ten minutes ago
        held = await explained(after_chat, chatted)
        assert held["matched"] is True and held["caps"] == {"allowed": False, "reason": "hours_after_chat"}
        fresh = await explained(last_chat, never)
        assert fresh["matched"] is False
        assert (await explained(after_chat, never))["caps"]["allowed"] is True


async def closed_kept(place: Floor, conversation: str) -> bool:
    """The chat's close is in the rules' database (its visitor's last chat moved to it)."""
    async with place.rules.state.runtime.db.reading() as conn:
        at = await conn.scalar(
            select(visitor_stats.c.last_chat_at).where(visitor_stats.c.last_conversation_id == conversation)
        )
    return at is not None and (utcnow() - at).total_seconds() < 15 * 60
