"""CHAT-8: links made before `visitor_contacts.linked_by` existed keep the card they had (migration 13a8c0de0007),
except that none is claimed verified (whether their identify was signed was never kept). On SQLite and
PostgreSQL, from the revision before it, with rows as the older code wrote them."""

import asyncio
from datetime import timedelta

from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.chat.contact_tables import contacts, prechat_answers, visitor_contacts
from services.chat.contacts import contact_of_visitor, link_of
from services.common.db import utcnow
from services.common.migrate import alembic_config
from services.common.settings import Settings

BEFORE = "13f6c0de0006"


async def columns(conn: AsyncConnection) -> set[str]:
    return await conn.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns("visitor_contacts")})


async def test_old_links_are_filled_in_as_the_card_showed_them_but_none_verified(settings: Settings) -> None:
    config = alembic_config("chat", settings.database_url_for("chat"))
    await asyncio.to_thread(command.upgrade, config, BEFORE)
    engine = create_async_engine(settings.database_url_for("chat"))
    now = utcnow()
    made = {"account_id": "acc-1", "created_at": now, "updated_at": now}
    # visitor -> (contact's external id, linked this long after their pre-chat answers, or never answered: None)
    old = {
        "typed-new": (None, timedelta(seconds=1)),
        "typed-old": (None, None),  # a contact nobody identified: only typed answers link to it
        "identified": ("cust-7", None),
        "identified-later": ("cust-8", timedelta(minutes=5)),  # answered, identified much later
        "typed-known": ("cust-9", timedelta(seconds=2)),  # typed the email of a contact the site identified
    }
    try:
        async with engine.begin() as conn:
            for visitor, (external_id, after_answers) in old.items():
                await conn.execute(contacts.insert().values(id=f"k-{visitor}", external_id=external_id, **made))
                link = {"account_id": "acc-1", "visitor_id": visitor, "contact_id": f"k-{visitor}", "linked_at": now}
                await conn.execute(visitor_contacts.insert().values(**link))
                if after_answers is not None:
                    answered = {"account_id": "acc-1", "visitor_id": visitor, "site_id": "site-1"}
                    await conn.execute(prechat_answers.insert().values(**answered, answered_at=now - after_answers))
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            stored = dict(
                (await conn.execute(select(visitor_contacts.c.visitor_id, visitor_contacts.c.linked_by))).all()
            )
            rows = {v: await contact_of_visitor(conn, "acc-1", v) for v in old}
        shown = {v: link_of(row) for v, row in rows.items() if row is not None}
        assert stored == {
            "typed-new": "prechat_form",
            "typed-old": "prechat_form",
            "identified": "site_unsigned",
            "identified-later": "site_unsigned",
            "typed-known": "prechat_form",
        }
        assert shown == {
            "typed-new": ("prechat_form", False),
            "typed-old": ("prechat_form", False),
            "identified": ("site", False),
            "identified-later": ("site", False),
            "typed-known": ("prechat_form", False),
        }

        await asyncio.to_thread(command.downgrade, config, BEFORE)
        async with engine.connect() as conn:
            assert "linked_by" not in await columns(conn)
            kept = select(visitor_contacts.c.contact_id).where(visitor_contacts.c.visitor_id == "identified")
            assert await conn.scalar(kept) == "k-identified"
    finally:
        await engine.dispose()
